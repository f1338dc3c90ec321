import { runServe } from '../../src/http/serve-command.js';
import { ALL_TOOLS } from '../../src/tools/index.js';
import { TASK_FIXTURE_TOOLS } from './task-fixtures.js';

/** `serve` with the conformance suite's task fixture tools beside the real ones (run from source with tsx). */
await runServe(process.argv.slice(2), [...ALL_TOOLS, ...TASK_FIXTURE_TOOLS]);
