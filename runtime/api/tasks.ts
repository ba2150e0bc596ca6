// Cooperative scheduling for long jobs on one thread: a step ends by letting the event loop run (a worker's
// "cancel" message, a timer, Ctrl-C), and cancellation surfaces as the signal's own reason.

/** Resolve after pending messages and timers have had their turn (a macrotask, not a microtask: a resolved
 *  promise alone would let a busy loop starve them). */
export function nextTask(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => void };
  if (g.setImmediate) return new Promise((resolve) => g.setImmediate!(resolve));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => { channel.port1.close(); resolve(); };
    channel.port2.postMessage(null);
  });
}

/** The error a cancelled job throws: the signal's reason (an AbortError DOMException by default). */
export function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The job was cancelled', 'AbortError');
}
