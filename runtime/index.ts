// The platform-neutral public API of osteon (the same in Node and browsers).
// The jobs: fine-tune, evaluate, generate, merge (runtime/api/), over sources and checkpoint stores.
export { finetune, METHODS, type Method, CHECKPOINT_KEY, type FinetuneOptions, type FinetuneEvent, type FinetuneResult } from './api/finetune.js';
export { estimateFinetune, formatEstimate, type MemoryEstimate } from './api/estimate.js';
export { evaluate, type EvaluateOptions } from './api/evaluate.js';
export { generate, type GenerateOptions } from './api/generate.js';
export { merge, type MergeOptions } from './api/merge.js';
export type { EvalResult, StepLog } from './train/trainer.js';
export { filesFromUrl, filesFromDirectoryHandle, type FolderSource, type DataSource } from './api/sources.js';
export { memoryStore, opfsStore, type CheckpointStore } from './api/store.js';
export type { BackendOption } from './api/open.js';
export { lossCurveSvg, type Series } from './train/plot.js';
// The building blocks.
export type { AdamWStep, AttentionOptions, Backend, BackendInfo, BackendName, HalfBits, MatmulOptions, Tensor } from './backend.js';
export { IGNORE_INDEX } from './backend.js';
export { ReferenceBackend } from './reference/backend.js';
export { createBackend, availableBackends, parseBackendChoice, type BackendChoice } from './select.js';
export { AdaptedLinear, type LayerAdapter, type LinearCache } from './adapters/linear.js';
export { checkConfig, parameterCount, type AdapterConfig, type Variant } from './adapters/config.js';
export { runDoctor, type DoctorReport } from './doctor/doctor.js';
export { runFixtureCase, maxRelError, type CaseResult } from './doctor/fixture-case.js';
export { OsteonError } from './errors.js';
export { readSafetensors, writeSafetensors, toFloat32, toInt32 } from './safetensors.js';
export type { SafetensorsFile, StoredTensor, DType, TensorToWrite } from './safetensors.js';
// Whole models and PEFT adapter folders.
export { parseModelConfig, type ModelConfig, type ModelType } from './model/config.js';
export { finiteFloat32, loadModel, readTensors, type LoadedModel, type LoadOptions, type ReadTensor } from './model/checkpoint.js';
export { LlamaModel, weightShapes } from './model/llama.js';
export { filesFromList, filesFromMap, type FileSource } from './model/files.js';
export { attachAdapter, loadAdapter, saveAdapter, peftKey, type ModelAdapter } from './peft/adapter.js';
export { parsePeftConfig, newPeftConfig, peftConfigText, type PeftAdapterConfig, type PeftType, type TargetRules } from './peft/config.js';
export { Tokenizer, trainTokenizer, linesOf, type TrainOptions, type TrainProgress } from './tokenizer/index.js';
