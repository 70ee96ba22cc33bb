/* engine.h — the ONNX engine as a model owner's tools use it: load a model,
 * list its feeds and operators, plan and run it (workloads/onnx/plan.h, the
 * same engine the enclave runs). `cloister onnx info|run` is built on it. */
#ifndef CLO_MODEL_ENGINE_H
#define CLO_MODEL_ENGINE_H

#include "workloads/onnx/op.h"
#include "workloads/onnx/plan.h"

#endif
