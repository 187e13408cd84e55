/**
 * How to start a Node script in a child process (the router, or a peer inside a namespace): from
 * source a `.ts` file runs through tsx's loader, resolved from this package so the child's working
 * directory does not matter; built JavaScript runs as is.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

let tsxLoader: string | undefined;

/** `node` arguments that run `script` with `args`. */
export function nodeScriptArgs(script: string, args: readonly string[] = []): string[] {
  if (!script.endsWith('.ts')) return [script, ...args];
  tsxLoader ??= pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return ['--import', tsxLoader, script, ...args];
}
