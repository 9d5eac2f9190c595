export { createServer, type ServerOptions } from './server.js';
export { type ServableEngine } from './engineSurface.js';
export { RequestError } from './RequestError.js';
export { chatPrompt, chatStops, type ChatMessage } from './chatTemplate.js';
export { type OpenAiErrorBody } from './openAiError.js';
