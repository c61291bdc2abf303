export { BOARD_PATH, createBoardApp, PIPELINE_QUEUES } from './app.ts';
export { basicAuth } from './auth.ts';
export { type BoardEnv, loadEnv } from './env.ts';
export { start } from './main.ts';
export { checkBoardAddress, serveBoard } from './serve.ts';
