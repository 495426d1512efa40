// One import site for tfjs, so every package shares the same engine instance.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';

export { tf, tfl };

/** tfjs-layers' initializer base type (the class itself is not exported). */
export type Initializer = ReturnType<typeof tfl.initializers.heNormal>;
