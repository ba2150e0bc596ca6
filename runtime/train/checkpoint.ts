// Training checkpoints: the trained tensors (an adapter's, or every weight in full fine-tuning), AdamW's
// moments, the step, the data cursor and the loss history, in one safetensors file (tensor `<key>`,
// `<key>.exp_avg`, `<key>.exp_avg_sq`; state as JSON in the metadata). Restoring one continues the run
// exactly. Platform-neutral: bytes in, bytes out; the Node side writes them atomically (writeFileAtomic in
// runtime/model/node-files.ts).
import { OsteonError } from '../errors.js';
import { type SafetensorsFile, readSafetensors, toFloat32, writeSafetensors, type TensorToWrite } from '../safetensors.js';
import type { DataCursor, StepLog, TrainConfig, Trainer } from './trainer.js';

const FORMAT = 'osteon-checkpoint-1';

interface CheckpointState { step: number; cursor: DataCursor; history: StepLog[]; config: TrainConfig; adapter: string }

/** A checkpoint read back: its tensors, its training state, and the record of the run that wrote it (the
 *  public API's options and fingerprints, runtime/api/run-record.ts; absent in checkpoints from before). */
export interface Checkpoint { file: SafetensorsFile; state: CheckpointState; run: unknown; source: string }

/** `run`: what the caller wants kept beside the state (JSON). */
export async function checkpointBytes(trainer: Trainer, run?: unknown): Promise<Uint8Array> {
  const tensors: Record<string, TensorToWrite> = {};
  for (const t of trainer.tensors) {
    for (const [suffix, tensor] of [['', t.param], ['.exp_avg', t.m], ['.exp_avg_sq', t.v]] as const) {
      tensors[t.key + suffix] = { dtype: 'F32', shape: [...tensor.shape], data: await trainer.backend.read(tensor) };
    }
  }
  const state: CheckpointState = {
    step: trainer.step, cursor: trainer.cursor, history: trainer.history, config: trainer.config,
    adapter: trainer.trains,
  };
  return writeSafetensors(tensors, { format: FORMAT, state: JSON.stringify(state), ...(run === undefined ? {} : { run: JSON.stringify(run) }) });
}

/** Parse a checkpoint file; refuses one without its training state (an adapter file, a foreign file). */
export function readCheckpoint(bytes: Uint8Array, source: string): Checkpoint {
  const file = readSafetensors(bytes, source);
  const fix = 'resume from the checkpoint.safetensors a training run wrote, or start without resume (--resume)';
  if (file.metadata.format !== FORMAT) {
    throw new OsteonError('checkpoint', `${source} is not an osteon checkpoint (format=${file.metadata.format ?? 'none'}); ${fix}`, source);
  }
  const parse = (key: string) => {
    try {
      return JSON.parse(file.metadata[key]) as unknown;
    } catch {
      return undefined;
    }
  };
  const state = parse('state') as CheckpointState | undefined;
  const valid = state && typeof state === 'object' && Number.isInteger(state.step) && state.step >= 0 &&
    Array.isArray(state.history) && state.cursor && Number.isInteger(state.cursor.epoch) && Number.isInteger(state.cursor.next) &&
    typeof state.adapter === 'string';
  if (!valid) throw new OsteonError('checkpoint', `${source} has no valid training state (step, data cursor, history); ${fix}`, source);
  return { file, state, run: file.metadata.run === undefined ? undefined : parse('run'), source };
}

/** Put a checkpoint's tensors and state into a trainer built with the same model, adapter and data. */
export function restoreCheckpoint(trainer: Trainer, saved: Uint8Array | Checkpoint, source: string): void {
  const { file, state } = saved instanceof Uint8Array ? readCheckpoint(saved, source) : saved;
  if (state.adapter !== trainer.trains) {
    throw new OsteonError('checkpoint', `${source} was written for a different adapter configuration (or full fine-tuning); resume with the same --method, -r and targets`, source);
  }
  for (const t of trainer.tensors) {
    for (const [suffix, tensor] of [['', t.param], ['.exp_avg', t.m], ['.exp_avg_sq', t.v]] as const) {
      const stored = file.tensors.get(t.key + suffix);
      if (!stored || stored.shape.join() !== tensor.shape.join()) {
        throw new OsteonError('checkpoint', `${source} has no tensor ${t.key + suffix} of shape [${tensor.shape}]; it belongs to another model or adapter`, source);
      }
      trainer.backend.write(tensor, toFloat32(stored));
    }
  }
  trainer.step = state.step;
  trainer.cursor = state.cursor;
  trainer.history.splice(0, trainer.history.length, ...state.history);
}
