// The type of the `tf` global. Separate: TensorFlow.js's declarations are hundreds of files, loaded into the
// cell type-checker only once a cell mentions `tf`.
export type TensorFlow = typeof import("@tensorflow/tfjs");
