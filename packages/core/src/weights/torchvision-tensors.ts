/**
 * The tensors torchvision's ImageNet classifiers hold, in the names timm's
 * safetensors files use: ResNet's as torchvision's state_dict (batch norm
 * running statistics included), VGG16's features.K and its classifier as
 * pre_logits.fc1 (fc6, a 7x7 convolution), pre_logits.fc2 (fc7, 1x1) and
 * head.fc. What a file must hold to start a backbone, in state_dict order.
 */
import { RESNET_BLOCKS } from '../backbones/resnet-options.js';
import { VGG16_STAGES } from '../backbones/vgg.js';
import type { ImageNetArch } from './catalog.js';

export type TensorSpec = [name: string, shape: number[]];

const bn = (name: string, c: number): TensorSpec[] => ['weight', 'bias', 'running_mean', 'running_var'].map((p) => [`${name}.${p}`, [c]]);

/** torchvision's (= timm's) tensors of a ResNet, in state_dict order. */
function resnetSpecs(depth: 50 | 101): TensorSpec[] {
  const specs: TensorSpec[] = [['conv1.weight', [64, 3, 7, 7]], ...bn('bn1', 64)];
  let inplanes = 64;
  RESNET_BLOCKS[depth].forEach((blocks, s) => {
    const planes = 64 * 2 ** s;
    for (let j = 0; j < blocks; j++) {
      const b = `layer${s + 1}.${j}`;
      specs.push([`${b}.conv1.weight`, [planes, inplanes, 1, 1]], ...bn(`${b}.bn1`, planes));
      specs.push([`${b}.conv2.weight`, [planes, planes, 3, 3]], ...bn(`${b}.bn2`, planes));
      specs.push([`${b}.conv3.weight`, [planes * 4, planes, 1, 1]], ...bn(`${b}.bn3`, planes * 4));
      if (j === 0) specs.push([`${b}.downsample.0.weight`, [planes * 4, inplanes, 1, 1]], ...bn(`${b}.downsample.1`, planes * 4));
      inplanes = planes * 4;
    }
  });
  specs.push(['fc.weight', [1000, 2048]], ['fc.bias', [1000]]);
  return specs;
}

/** timm's VGG16: features.K, fc6/fc7 as convolutions (pre_logits.fc1/fc2), head.fc. */
function vggSpecs(): TensorSpec[] {
  const specs: TensorSpec[] = [];
  let k = 0;
  let cin = 3;
  for (const stage of VGG16_STAGES) {
    for (let j = 0; j < stage.convs; j++) {
      specs.push([`features.${k}.weight`, [stage.channels, cin, 3, 3]], [`features.${k}.bias`, [stage.channels]]);
      cin = stage.channels;
      k += 2;
    }
    k += 1;
  }
  specs.push(['pre_logits.fc1.weight', [4096, 512, 7, 7]], ['pre_logits.fc1.bias', [4096]]);
  specs.push(['pre_logits.fc2.weight', [4096, 4096, 1, 1]], ['pre_logits.fc2.bias', [4096]]);
  specs.push(['head.fc.weight', [1000, 4096]], ['head.fc.bias', [1000]]);
  return specs;
}

export const torchvisionTensors = (arch: ImageNetArch): TensorSpec[] => (arch === 'vgg16' ? vggSpecs() : resnetSpecs(arch === 'resnet50' ? 50 : 101));

