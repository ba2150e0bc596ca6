// Training checkpoints: the adapter's tensors, AdamW's moments, the step, the data cursor and the loss
// history, in one safetensors file (tensor `<module>.<param>`, `.exp_avg`, `.exp_avg_sq`; state as JSON in
// the metadata). Restoring one continues the run exactly. Platform-neutral: bytes in, bytes out; the Node
// side writes them atomically (writeFileAtomic in runtime/model/node-files.ts).
import { readSafetensors, toFloat32, writeSafetensors, type TensorToWrite } from '../safetensors.js';
import type { DataCursor, StepLog, TrainConfig, Trainer } from './trainer.js';

const FORMAT = 'osteon-checkpoint-1';

interface CheckpointState { step: number; cursor: DataCursor; history: StepLog[]; config: TrainConfig; adapter: string }

export async function checkpointBytes(trainer: Trainer): Promise<Uint8Array> {
  const tensors: Record<string, TensorToWrite> = {};
  for (const t of trainer.tensors) {
    for (const [suffix, tensor] of [['', t.param], ['.exp_avg', t.m], ['.exp_avg_sq', t.v]] as const) {
      tensors[t.key + suffix] = { dtype: 'F32', shape: [...tensor.shape], data: await trainer.backend.read(tensor) };
    }
  }
  const state: CheckpointState = {
    step: trainer.step, cursor: trainer.cursor, history: trainer.history, config: trainer.config,
    adapter: JSON.stringify(trainer.adapter.config.raw),
  };
  return writeSafetensors(tensors, { format: FORMAT, state: JSON.stringify(state) });
}

/** Put a checkpoint's tensors and state into a trainer built with the same model, adapter and data. */
export function restoreCheckpoint(trainer: Trainer, bytes: Uint8Array, source: string): void {
  const file = readSafetensors(bytes, source);
  if (file.metadata.format !== FORMAT) throw new Error(`[checkpoint] ${source} is not an osteon checkpoint (format=${file.metadata.format})`);
  const state = JSON.parse(file.metadata.state) as CheckpointState;
  if (state.adapter !== JSON.stringify(trainer.adapter.config.raw)) {
    throw new Error(`[checkpoint] ${source} was written for a different adapter configuration; resume with the same --method, -r and targets`);
  }
  for (const t of trainer.tensors) {
    for (const [suffix, tensor] of [['', t.param], ['.exp_avg', t.m], ['.exp_avg_sq', t.v]] as const) {
      const stored = file.tensors.get(t.key + suffix);
      if (!stored || stored.shape.join() !== tensor.shape.join()) {
        throw new Error(`[checkpoint] ${source} has no tensor ${t.key + suffix} of shape [${tensor.shape}]; it belongs to another model or adapter`);
      }
      trainer.backend.write(tensor, toFloat32(stored));
    }
  }
  trainer.step = state.step;
  trainer.cursor = state.cursor;
  trainer.history.splice(0, trainer.history.length, ...state.history);
}
