// The built-in training data: short question-and-answer pairs about the adapters osteon trains, as
// prompt/completion rows (the prompt is masked out of the loss). Small enough to learn in a minute on a CPU.

export const BUILTIN_DATA: { prompt: string; completion: string }[] = [
  { prompt: 'Q: What is Bone?\nA:', completion: ' A block-affine adapter: a small trained block added to every chunk of a frozen weight.' },
  { prompt: 'Q: What does Bone store per layer?\nA:', completion: ' One block of r rows by out columns, starting at zero.' },
  { prompt: 'Q: How does Bone read its input?\nA:', completion: ' It sums the input in chunks of width r and multiplies the sum by the block.' },
  { prompt: 'Q: What must Bone keep for the backward pass?\nA:', completion: ' Only the chunk sum, r numbers per token, not the whole input.' },
  { prompt: 'Q: What is Bat?\nA:', completion: ' The weight guided form: every r by r block of the weight is multiplied by one plus a trained block.' },
  { prompt: 'Q: Which blocks does Bat share?\nA:', completion: ' One trained block per output block, shared by every input block.' },
  { prompt: 'Q: What does Bat need from the shapes?\nA:', completion: ' Both in and out features must divide into whole r by r blocks.' },
  { prompt: 'Q: What is mini?\nA:', completion: ' Bone with a narrow block of mini_r columns repeated along the output.' },
  { prompt: 'Q: What is LoRA?\nA:', completion: ' Two low-rank matrices whose product is added to the frozen weight, scaled by alpha over r.' },
  { prompt: 'Q: How do Bone and LoRA compare?\nA:', completion: ' At equal parameters Bone keeps fewer activations and often learns as well or better.' },
  { prompt: 'Q: What does merging do?\nA:', completion: ' It adds the adapter into the base weight so inference costs nothing extra.' },
  { prompt: 'Q: Can a Bat merge be undone?\nA:', completion: ' Yes, by inverting one plus each block, unless a block is singular.' },
  { prompt: 'Q: In which order do Bat adapters unmerge?\nA:', completion: ' Last in, first out, because each one acts on the weight the previous one made.' },
  { prompt: 'Q: Where does osteon run?\nA:', completion: ' On WebGPU in Node and in browsers, and on WebAssembly everywhere else.' },
  { prompt: 'Q: What file does PEFT read?\nA:', completion: ' An adapter_config.json and an adapter_model.safetensors with miss_block tensors.' },
  { prompt: 'Q: Which layers does an adapter change?\nA:', completion: ' Only the target modules; every other weight stays frozen.' },
  { prompt: 'Q: What starts at zero?\nA:', completion: ' Every Bone, Bat and mini block, so training begins exactly at the base model.' },
  { prompt: 'Q: What does the optimizer do?\nA:', completion: ' AdamW moves each block against its gradient, with warmup and a cosine decay.' },
  { prompt: 'Q: Why clip gradients?\nA:', completion: ' So that one bad batch cannot throw the adapter far from where it was.' },
  { prompt: 'Q: What is a checkpoint?\nA:', completion: ' The blocks, the optimizer moments and the data position, written atomically.' },
  { prompt: 'Q: What does the doctor check?\nA:', completion: ' That every backend computes the same numbers as PEFT on golden cases.' },
  { prompt: 'Q: How many tokens per step?\nA:', completion: ' Batch size times sequence length, times the accumulation steps.' },
  { prompt: 'Q: What is held out?\nA:', completion: ' A few examples never trained on, to measure loss on unseen text.' },
  { prompt: 'Q: What is perplexity?\nA:', completion: ' The exponential of the mean loss: how many tokens the model hesitates between.' },
];
