/**
 * zod's mini build (a fraction of the classic build's size and load time, which matters at cold
 * start) with English messages, so that validation details are readable sentences.
 */
import { en } from 'zod/locales';
import { z } from 'zod/mini';

z.config(en());

export { z };
