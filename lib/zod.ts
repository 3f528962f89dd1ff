/**
 * zod's mini build (a fraction of the classic build's size and load time, which matters at cold
 * start) with English messages only, so that validation details are readable sentences. Import it
 * as a namespace (`import * as z from './zod.ts'`): the bundler then keeps only what is used, where
 * zod's own `z` object would bring every locale with it.
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
// zod's own `z` object, for code that is not bundled into a function (the CLI, tests).
export { z } from 'zod/mini';
