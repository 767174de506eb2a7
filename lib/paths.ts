import { fileURLToPath } from 'node:url';

/** The project root (the directory holding package.json, lambdas/, statemachine/). */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
