#!/usr/bin/env node
// The `hallpass` bin: runs the TypeScript CLI (cli/main.ts) in this process through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
