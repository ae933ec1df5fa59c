// The --assign file of `patterns`: NDJSON written through a buffered stream; a file that cannot
// be created is a usage error naming it.
import { createWriteStream } from 'node:fs';
import { UsageError } from '../../errors.js';

export async function openAssignFile(
  path: string,
): Promise<{ write: (s: string) => void; close: () => Promise<void> }> {
  const stream = createWriteStream(path);
  let failure: Error | undefined;
  stream.on('error', (err) => {
    failure = err;
  });
  await new Promise<void>((resolve) => {
    stream.once('open', () => resolve());
    stream.once('error', () => resolve());
  });
  if (failure) throw new UsageError(`--assign ${path}: cannot write it (${failure.message}).`);
  return {
    write: (s) => {
      stream.write(s);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        stream.end(() =>
          failure ? reject(new UsageError(`--assign ${path}: ${failure.message}`)) : resolve(),
        );
      }),
  };
}
