// The two tasks of the method study (bench/study.ts), both from npm data and a fixed seed:
// - sotu: the built-in task, causal language modelling of State of the Union addresses, scored by the loss on
//   three whole addresses never trained on;
// - reverse: "Reverse: w1 w2 w3 =>" answered by " w3 w2 w1", for word triples from a fixed list of common
//   words of the built-in model's corpus, scored by exact match of the greedy answer on held-out triples no
//   training row contains. A rule, not a fact: it can only be answered by learning to attend to the right
//   words, so a method's answers on unseen triples show what it learned rather than what it memorised.
import { uniform } from '../runtime/adapters/random.js';

/** Common words of the corpus, each one token or two, none a prefix of another's spelling. */
export const WORDS = [
  'whale', 'ship', 'sea', 'king', 'land', 'water', 'house', 'fire', 'city', 'bread', 'gold', 'stone', 'heart',
  'night', 'light', 'voice', 'hand', 'eye', 'word', 'day', 'wind', 'mountain', 'river', 'tree', 'horse',
  'sword', 'boat', 'deep', 'captain', 'sail', 'heaven', 'earth', 'people', 'man', 'woman', 'child', 'door',
  'field', 'sheep', 'wine', 'oil', 'blood', 'sun', 'moon', 'star', 'cloud', 'rock', 'sand',
];

export interface ReverseTask {
  train: { prompt: string; completion: string }[];
  test: { prompt: string; answer: string }[];
}

const prompt = (w: string[]) => `Reverse: ${w.join(' ')} =>`;

/** `train` and `test` rows of distinct word triples (no triple in both), drawn with `seed`. */
export function reverseTask(trainCount: number, testCount: number, seed: number): ReverseTask {
  const r = uniform(6 * (trainCount + testCount) + 64, 0, 1, seed);
  let at = 0;
  const seen = new Set<string>();
  const triple = (): string[] => {
    for (;;) {
      const w = [0, 1, 2].map(() => WORDS[Math.floor(r[at++ % r.length] * WORDS.length)]);
      const key = w.join(' ');
      if (new Set(w).size === 3 && !seen.has(key)) {
        seen.add(key);
        return w;
      }
    }
  };
  const test = Array.from({ length: testCount }, () => triple()).map((w) => ({ prompt: prompt(w), answer: [...w].reverse().join(' ') }));
  const train = Array.from({ length: trainCount }, () => triple()).map((w) => ({ prompt: prompt(w), completion: ` ${[...w].reverse().join(' ')}\n` }));
  return { train, test };
}

/** The answer in a greedy continuation: its first line, trimmed. */
export function answerOf(continuation: string): string {
  return continuation.split('\n')[0].trim();
}
