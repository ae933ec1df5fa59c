/** Options of the write path's operations (api.ts, apply.ts). */
export interface WriteOptions {
  dryRun?: boolean;
  /** The field manager recorded in managedFields. */
  fieldManager?: string;
  /** `status` or `scale` when writing a subresource. */
  subresource?: string;
  force?: boolean;
}
