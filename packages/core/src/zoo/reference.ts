/**
 * The paper configurations of docs/zoo.md: default input, classes
 * and the exact trainable parameter counts a faithful implementation has.
 * Architecture packages build these names; tests and the CLI compare against
 * this table.
 */
export interface ZooEntry {
  name: string;
  package: string;
  input: [number, number, number];
  classes: number;
  /** Trainable parameters at the defaults (without auxiliary heads). */
  params: number;
  /** With the auxiliary head, where the model has one. */
  paramsWithAux?: number;
  paper: string;
}

export const ZOO: readonly ZooEntry[] = [
  { name: 'fcn32s-vgg16', package: '@seg/fcn', input: [512, 512, 3], classes: 21, params: 134_346_581, paper: 'Long et al. 2015' },
  { name: 'fcn16s-vgg16', package: '@seg/fcn', input: [512, 512, 3], classes: 21, params: 134_364_410, paper: 'Long et al. 2015' },
  { name: 'fcn8s-vgg16', package: '@seg/fcn', input: [512, 512, 3], classes: 21, params: 134_376_863, paper: 'Long et al. 2015' },
  { name: 'unet', package: '@seg/unet', input: [572, 572, 1], classes: 2, params: 31_030_658, paper: 'Ronneberger et al. 2015' },
  { name: 'unet-same-bn', package: '@seg/unet', input: [512, 512, 1], classes: 2, params: 31_036_546, paper: 'Ronneberger et al. 2015 (padded, BN)' },
  { name: 'segnet-vgg16', package: '@seg/segnet', input: [360, 480, 3], classes: 11, params: 29_441_419, paper: 'Badrinarayanan et al. 2017' },
  {
    name: 'pspnet-resnet50',
    package: '@seg/pspnet',
    input: [473, 473, 3],
    classes: 21,
    params: 46_592_597,
    paramsWithAux: 48_957_802,
    paper: 'Zhao et al. 2017',
  },
  { name: 'deeplabv1-largefov', package: '@seg/deeplab', input: [321, 321, 3], classes: 21, params: 20_505_429, paper: 'Chen et al. 2015' },
  { name: 'deeplabv2-aspp-l', package: '@seg/deeplab', input: [321, 321, 3], classes: 21, params: 44_048_532, paper: 'Chen et al. 2017 (v2)' },
  { name: 'deeplabv3-resnet50', package: '@seg/deeplab', input: [513, 513, 3], classes: 21, params: 39_048_533, paper: 'Chen et al. 2017 (v3)' },
  {
    name: 'deeplabv3plus-resnet50',
    package: '@seg/deeplab',
    input: [513, 513, 3],
    classes: 21,
    params: 40_352_181,
    paper: 'Chen et al. 2018 (v3+)',
  },
];

export function zooEntry(name: string): ZooEntry | undefined {
  return ZOO.find((e) => e.name === name);
}
