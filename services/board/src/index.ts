export { BOARD_PATH, type BoardAppOptions, createBoardApp, PIPELINE_QUEUES } from './app.ts';
export { basicAuth } from './auth.ts';
export { type BoardEnv, loadEnv } from './env.ts';
export { start } from './main.ts';
export { REPORTS_PATH } from './reports/routes.ts';
export { checkBoardAddress, serveBoard } from './serve.ts';
