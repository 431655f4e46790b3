/* The FANN peer of `make bench`: the digits MLP (64-128-10, pixels / 16, 80/20 split, 50 epochs) in FANN's
 * closest mode. FANN has no softmax and no mini-batches: sigmoid hidden and output units, mean squared error,
 * and incremental training (plain SGD, one sample per update, learning rate 0.1, no momentum) over the training
 * set shuffled every epoch. Prints `acc=<test accuracy> train_s=<seconds>`; the whole process is timed by
 * experiments/bench.sh. Usage: bench_fann DATA.h5 */
#include <fann.h> /* float fann_type: the float build, libfann */
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { HIDDEN = 128, CLASSES = 10, EPOCHS = 50 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* X float (rows, cols) and y int (rows) of the project's HDF5 layout; 0 or -1. */
static int load(const char *path, float **x, int **y, int *rows, int *cols)
{
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return -1;
    hid_t dx = H5Dopen2(f, "X", H5P_DEFAULT), dy = H5Dopen2(f, "y", H5P_DEFAULT);
    hsize_t dims[2] = {0, 0};
    hid_t sp = H5Dget_space(dx);
    int ok = dx >= 0 && dy >= 0 && sp >= 0 && H5Sget_simple_extent_ndims(sp) == 2;
    if (ok)
        H5Sget_simple_extent_dims(sp, dims, NULL);
    *rows = (int)dims[0], *cols = (int)dims[1];
    *x = malloc(dims[0] * dims[1] * sizeof **x + 1);
    *y = malloc(dims[0] * sizeof **y + 1);
    ok = ok && *x && *y && H5Dread(dx, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, *x) >= 0 &&
         H5Dread(dy, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, *y) >= 0;
    H5Sclose(sp);
    H5Dclose(dx);
    H5Dclose(dy);
    H5Fclose(f);
    return ok ? 0 : -1;
}

/* Rows order[lo..hi) as FANN training data with one-hot targets. */
static struct fann_train_data *subset(const float *x, const int *y, int cols, const int *order, int lo, int hi)
{
    struct fann_train_data *d = fann_create_train((unsigned)(hi - lo), (unsigned)cols, CLASSES);
    for (int i = lo; i < hi; i++) {
        for (int c = 0; c < cols; c++)
            d->input[i - lo][c] = x[(size_t)order[i] * cols + c] / 16.0f;
        for (int k = 0; k < CLASSES; k++)
            d->output[i - lo][k] = k == y[order[i]];
    }
    return d;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_fann DATA.h5\n");
        return 2;
    }
    float *x;
    int *y, rows, cols;
    if (load(argv[1], &x, &y, &rows, &cols) < 0) {
        fprintf(stderr, "bench_fann: cannot read X and y from %s\n", argv[1]);
        return 3;
    }
    /* a seeded shuffle for the split; FANN's own shuffles use rand(), seeded too */
    srand(1);
    int *order = malloc((size_t)rows * sizeof *order);
    for (int i = 0; i < rows; i++)
        order[i] = i;
    for (int i = rows - 1; i > 0; i--) {
        int j = rand() % (i + 1), t = order[i];
        order[i] = order[j], order[j] = t;
    }
    int ntest = (int)(0.2 * rows + 0.5);
    struct fann_train_data *test = subset(x, y, cols, order, 0, ntest);
    struct fann_train_data *train = subset(x, y, cols, order, ntest, rows);

    struct fann *ann = fann_create_standard(3, (unsigned)cols, HIDDEN, CLASSES);
    fann_set_activation_function_hidden(ann, FANN_SIGMOID);
    fann_set_activation_function_output(ann, FANN_SIGMOID);
    fann_set_activation_steepness_hidden(ann, 0.5f); /* FANN's sigmoid is 1 / (1 + exp(-2 s x)): s = 1/2 */
    fann_set_activation_steepness_output(ann, 0.5f);
    fann_set_training_algorithm(ann, FANN_TRAIN_INCREMENTAL);
    fann_set_learning_rate(ann, 0.1f);
    fann_set_learning_momentum(ann, 0.0f);
    fann_set_train_error_function(ann, FANN_ERRORFUNC_LINEAR);
    fann_randomize_weights(ann, -0.1f, 0.1f); /* FANN's default; its Widrow-Nguyen init does not learn here */

    double t0 = now();
    for (int e = 0; e < EPOCHS; e++) {
        fann_shuffle_train_data(train);
        fann_train_epoch(ann, train);
    }
    double seconds = now() - t0;

    int correct = 0;
    for (unsigned i = 0; i < fann_length_train_data(test); i++) {
        fann_type *out = fann_run(ann, test->input[i]);
        int best = 0;
        for (int k = 1; k < CLASSES; k++)
            if (out[k] > out[best])
                best = k;
        correct += test->output[i][best] > 0.5f;
    }
    printf("acc=%.4f train_s=%.3f\n", (double)correct / ntest, seconds);
    fann_destroy_train(train);
    fann_destroy_train(test);
    fann_destroy(ann);
    free(order);
    free(x);
    free(y);
    return 0;
}
