/* Checkpoint save and load in the nn.Linear layout; shapes are checked against the model, never coerced. */
#include "checkpoint.h"
#include "fileio.h"
#include "h5util.h"
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int write_array(hid_t file, const char *name, const float *v, int rank, const hsize_t *dims)
{
    /* no modification times in the object headers: the same weights give the same bytes */
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t ds = space >= 0 ? H5Dcreate2(file, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT) : -1;
    int rc = ds >= 0 && H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0 ? 0 : -1;
    H5Pclose(dcpl);
    if (ds >= 0) H5Dclose(ds);
    if (space >= 0) H5Sclose(space);
    return rc;
}

char *checkpoint_image(const mlp *net, const float *params, size_t *size, const char *path, char *err, size_t len)
{
    hid_t file = h5util_create_memory(); /* the bytes come from h5util_image: see h5util.h */
    int rc = file >= 0 ? 0 : -1;
    size_t off = 0;
    char layers[256] = "";
    for (int k = 0; k <= net->nlayers; k++)
        snprintf(layers + strlen(layers), sizeof layers - strlen(layers), "%s%d", k ? "-" : "", net->size[k]);
    for (int k = 0; k < net->nlayers && rc == 0; k++) {
        char name[32];
        hsize_t wd[2] = {(hsize_t)net->size[k + 1], (hsize_t)net->size[k]}, bd[1] = {(hsize_t)net->size[k + 1]};
        snprintf(name, sizeof name, "weight%d", k);
        rc |= write_array(file, name, params + off, 2, wd);
        off += (size_t)wd[0] * wd[1];
        snprintf(name, sizeof name, "bias%d", k);
        rc |= write_array(file, name, params + off, 1, bd);
        off += (size_t)bd[0];
    }
    if (rc == 0)
        rc = h5util_put_string(file, "layers", layers);
    return h5util_image(file, rc, size, path, "cannot write checkpoint", err, len);
}

int checkpoint_save(const mlp *net, const float *params, const char *path, char *err, size_t len)
{
    size_t size;
    char *image = checkpoint_image(net, params, &size, path, err, len);
    int rc = image ? fileio_write_atomic(path, image, size, err, len) : -1;
    free(image);
    return rc;
}

/* Reads one array, checking rank and dims exactly. */
static int read_array(hid_t file, const char *name, float *v, int rank, const hsize_t *want, char *why, size_t len)
{
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0) {
        snprintf(why, len, "no dataset '%s' (the model needs it)", name);
        return -1;
    }
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    if (ds < 0) {
        snprintf(why, len, "'%s' is not a dataset", name);
        return -1;
    }
    hid_t space = H5Dget_space(ds), type = H5Dget_type(ds);
    hsize_t dims[2] = {0, 0};
    int r = H5Sget_simple_extent_ndims(space);
    if (r >= 1 && r <= 2)
        H5Sget_simple_extent_dims(space, dims, NULL);
    int rc = -1;
    if (H5Tget_class(type) != H5T_FLOAT)
        snprintf(why, len, "'%s' is not a float dataset", name);
    else if (r != rank || dims[0] != want[0] || (rank == 2 && dims[1] != want[1])) {
        char have[64], need[64];
        snprintf(have, sizeof have, r == 2 ? "[%llu, %llu]" : r == 1 ? "[%llu]" : "rank %llu",
                 r == 1 || r == 2 ? (unsigned long long)dims[0] : (unsigned long long)r, (unsigned long long)dims[1]);
        snprintf(need, sizeof need, rank == 2 ? "[%llu, %llu]" : "[%llu]", (unsigned long long)want[0],
                 (unsigned long long)want[1]);
        snprintf(why, len, "'%s' is %s but the model needs %s", name, have, need);
    } else if (H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) {
        char cause[200];
        h5util_cause(cause, sizeof cause);
        snprintf(why, len, "cannot read '%s' (%s)", name, cause);
    } else
        rc = 0;
    H5Tclose(type);
    H5Sclose(space);
    H5Dclose(ds);
    return rc;
}

int checkpoint_load(mlp *net, const char *path, char *err, size_t len)
{
    char why[300];
    hid_t file = h5util_open(path, why, sizeof why);
    int rc = file >= 0 ? 0 : -1;
    size_t off = 0;
    for (int k = 0; k < net->nlayers && rc == 0; k++) {
        char name[32];
        hsize_t wd[2] = {(hsize_t)net->size[k + 1], (hsize_t)net->size[k]}, bd[1] = {(hsize_t)net->size[k + 1]};
        snprintf(name, sizeof name, "weight%d", k);
        rc = read_array(file, name, net->params + off, 2, wd, why, sizeof why);
        off += (size_t)wd[0] * wd[1];
        snprintf(name, sizeof name, "bias%d", k);
        if (rc == 0)
            rc = read_array(file, name, net->params + off, 1, bd, why, sizeof why);
        off += (size_t)bd[0];
    }
    if (rc == 0) {
        char name[32];
        snprintf(name, sizeof name, "weight%d", net->nlayers);
        if (H5Lexists(file, name, H5P_DEFAULT) > 0) {
            snprintf(why, sizeof why, "it has an extra layer '%s' (the model has %d weight layers)", name,
                     net->nlayers);
            rc = -1;
        }
    }
    if (rc == 0 && !mlp_params_finite(net)) {
        snprintf(why, sizeof why, "it holds NaN or infinite values");
        rc = -1;
    }
    if (file >= 0)
        H5Fclose(file);
    H5Eclear2(H5E_DEFAULT);
    if (rc < 0)
        snprintf(err, len, "%s: %s", path, why);
    return rc;
}
