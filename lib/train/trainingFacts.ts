/** What a training run tells the model card of the folders it exports (best/, final/). */
export interface TrainingFacts {
  /** Optimizer updates done. */
  steps: number;
  /** Target tokens seen. */
  tokensSeen: number;
  /** Wall time of the run(s), in seconds. */
  elapsedSeconds: number;
  /** The Trainer's recipe ('default', 'paper'). */
  recipe: string;
  /** Peak learning rate of the schedule. */
  baseLr: number | undefined;
  /** Items per update (sentences or paragraphs), when known. */
  globalBatch: number | undefined;
  /** EMA decay of the exported weights (0: none). */
  emaDecay: number;
  /** The best validation loss and its step, when the run evaluated. */
  best: { loss: number; step: number } | undefined;
}
