// The one-line usage of %%tune, shared by the command (help, usage errors) and the cell runner.
export const TUNE_USAGE =
  "%%tune [--trials N] [--sampler gp|tpe|tpe-multivariate|random|grid] [--metric SPLIT.KEY] [--mode min|max] [--reduce last|best] [--pruner none|median|asha|hyperband] [--study NAME] [--seed N] [--parallel K] [--timeout SECONDS]";
