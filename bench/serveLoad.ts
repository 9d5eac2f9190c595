/**
 * The serve bench's load generator, run in a worker thread so that the server's event loop (the
 * main thread) carries only the server: `clients` loops, each sending `perClient` streamed
 * requests back to back over loopback; bounded by count, not time.
 */
import { parentPort, workerData } from 'node:worker_threads';

export interface LoadJob {
  url: string;
  body: object;
  clients: number;
  perClient: number;
}

export interface LoadSamples {
  ttft: number[];
  latency: number[];
  tokens: number;
  errors: number;
  seconds: number;
}

/** One streamed request: reads the SSE body, times the first content chunk and the end. */
export async function streamOnce(url: string, body: object): Promise<{ ttft: number; latency: number; tokens: number }> {
  const t0 = performance.now();
  const r = await fetch(`${url}/v1/completions`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
  });
  if (r.status !== 200 || !r.body) throw new Error(`HTTP ${r.status}: ${await r.text()}`);
  let ttft = Number.NaN, tokens = 0, buffer = '';
  const decoder = new TextDecoder();
  for await (const bytes of r.body) {
    buffer += decoder.decode(bytes as Uint8Array, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const event = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      if (!event.startsWith('data: ') || event === 'data: [DONE]') continue;
      const data = JSON.parse(event.slice(6)) as { choices: { text: string }[]; usage?: { completion_tokens: number } | null; error?: { message: string } };
      if (data.error) throw new Error(data.error.message);
      if (Number.isNaN(ttft) && data.choices[0]?.text) ttft = performance.now() - t0;
      if (data.usage) tokens = data.usage.completion_tokens;
    }
  }
  return { ttft, latency: performance.now() - t0, tokens };
}

export async function runLoad(job: LoadJob): Promise<LoadSamples> {
  const out: LoadSamples = { ttft: [], latency: [], tokens: 0, errors: 0, seconds: 0 };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: job.clients }, async () => {
    for (let i = 0; i < job.perClient; i++) {
      try {
        const r = await streamOnce(job.url, job.body);
        out.ttft.push(r.ttft);
        out.latency.push(r.latency);
        out.tokens += r.tokens;
      } catch (error) {
        out.errors++;
        console.error(`[serve bench] ${(error as Error).message}`);
      }
    }
  }));
  out.seconds = (performance.now() - t0) / 1000;
  return out;
}

if (parentPort && workerData) {
  const port = parentPort;
  void runLoad(workerData as LoadJob).then((samples) => port.postMessage(samples));
}
