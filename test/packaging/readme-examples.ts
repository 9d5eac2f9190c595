// The README's TypeScript/JavaScript blocks as programs (used by test/packaging/pack.test.ts).
//
// Every ```ts / ```typescript / ```js / ```mjs / ```cjs block is a complete program. An HTML
// comment on the line right before a block's fence changes how the test treats it:
//   <!-- example: skip <reason> -->        not run (the reason is printed; e.g. a block that
//                                            needs the Hugging Face Hub)
//   <!-- example: stop-after "<text>" -->  a program that keeps running (a server): once its
//                                            stdout contains <text> it gets SIGTERM and must
//                                            then exit 0
import { readFileSync } from 'node:fs';

export interface ReadmeExample {
  /** 1-based line of the opening fence. */
  line: number;
  /** File name in the consumer app: ex<NN>.mts (TypeScript), .mjs or .cjs (JavaScript using require). */
  file: string;
  lang: 'ts' | 'js';
  code: string;
  /** Set by a skip marker: why the block is not run. */
  skip?: string;
  /** Set by a stop-after marker. */
  stopAfter?: string;
}

const languages: Record<string, 'ts' | 'js'> = { ts: 'ts', typescript: 'ts', js: 'js', javascript: 'js', mjs: 'js', cjs: 'js' };

/** Extracts the program blocks of a Markdown text, in order. */
export function extractExamples(markdown: string): ReadmeExample[] {
  const lines = markdown.split('\n');
  const out: ReadmeExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)\s*$/.exec(lines[i]!);
    if (!open) {
      if (/^```/.test(lines[i]!)) { // another fenced block (```sh, ```): skip to its end
        for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++);
      }
      continue;
    }
    const lang = languages[open[1]!.toLowerCase()];
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    if (!lang) continue;
    const marker = /^<!--\s*example:\s*(.*?)\s*-->\s*$/.exec(lines[start - 1] ?? '')?.[1];
    const code = `${body.join('\n')}\n`;
    const n = String(out.length + 1).padStart(2, '0');
    const ext = lang === 'ts' ? 'mts' : open[1] === 'cjs' || /\brequire\(/.test(code) ? 'cjs' : 'mjs';
    const example: ReadmeExample = { line: start + 1, file: `ex${n}.${ext}`, lang, code };
    if (marker !== undefined) {
      const skip = /^skip\s+(.+)$/.exec(marker);
      const stop = /^stop-after\s+"([^"]+)"$/.exec(marker);
      if (skip) example.skip = skip[1]!;
      else if (stop) example.stopAfter = stop[1]!;
      else throw new Error(`README line ${start}: unknown example marker "${marker}"`);
    }
    out.push(example);
  }
  return out;
}

/** The examples of a Markdown file. */
export function readmeExamples(path: string): ReadmeExample[] {
  return extractExamples(readFileSync(path, 'utf8'));
}
