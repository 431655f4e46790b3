/* Checkpoints: an MLP's parameters in HDF5, exchangeable with PyTorch's nn.Linear: datasets weight0, bias0,
 * weight1, bias1, ... from the input layer to the output layer, float32, weightK [out, in], biasK [out]. */
#ifndef CHECKPOINT_H
#define CHECKPOINT_H
#include <stddef.h>
#include "mlp.h"

/* Writes params (nparams, the mlp layout) of a net shaped like net to path, atomically (fileio_write_atomic); 0,
 * or -1 with "path: cause". */
int checkpoint_save(const mlp *net, const float *params, const char *path, char *err, size_t len);
/* The bytes checkpoint_save would write, malloc'd (*size of them), for a caller that writes them out with other
 * files; NULL with "path: cause" in err. */
char *checkpoint_image(const mlp *net, const float *params, size_t *size, const char *path, char *err, size_t len);
/* Reads path into net->params; refuses a checkpoint whose layers or shapes differ from net's, or whose values
 * are not finite. 0, or -1 with "path: what is wrong". */
int checkpoint_load(mlp *net, const char *path, char *err, size_t len);

#endif
