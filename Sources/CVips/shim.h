#ifndef INTAKE_CVIPS_SHIM_H
#define INTAKE_CVIPS_SHIM_H
#include <gmodule.h>
#include <vips/vips.h>
#include <vips/vector.h> /* vips_vector_set_enabled: see Vips.start */

/* Swift cannot call C variadic functions, and every vips operation is one: these wrappers fix
   the optional arguments intake uses. Each returns 0 on success and -1 with the vips error
   buffer set, like the operation it wraps. */

/* Opens a file lazily: only the header is read until pixels are asked for. */
static inline VipsImage *intake_vips_open(const char *path) {
    return vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
}

/* Decodes a file shrunk to fit `size` x `size` (never enlarged), with its EXIF orientation
   applied; JPEG and WebP are shrunk while decoding. */
static inline int intake_vips_thumbnail(const char *path, VipsImage **out, int size) {
    return vips_thumbnail(path, out, size, "height", size, "size", VIPS_SIZE_DOWN, NULL);
}

/* Decodes a JPEG scaled down by `shrink` (1, 2, 4 or 8) inside libjpeg's IDCT, the cheapest
   way to a small picture. */
static inline int intake_vips_jpegload_shrunk(const char *path, VipsImage **out, int shrink) {
    return vips_jpegload(path, out, "shrink", shrink, "access", VIPS_ACCESS_SEQUENTIAL, NULL);
}

/* The same from memory; the buffer must outlive the image. */
static inline int intake_vips_jpegload_buffer_shrunk(const void *buffer, size_t length,
                                                     VipsImage **out, int shrink) {
    return vips_jpegload_buffer((void *)buffer, length, out, "shrink", shrink,
                                "access", VIPS_ACCESS_SEQUENTIAL, NULL);
}

/* Turns an image upright by its EXIF orientation tag (and removes the tag). */
static inline int intake_vips_autorot(VipsImage *in, VipsImage **out) {
    return vips_autorot(in, out, NULL);
}

/* Shrinks an already decoded image to fit `size` x `size` (never enlarged). */
static inline int intake_vips_thumbnail_image(VipsImage *in, VipsImage **out, int size) {
    return vips_thumbnail_image(in, out, size, "height", size, "size", VIPS_SIZE_DOWN, NULL);
}

static inline int intake_vips_colourspace(VipsImage *in, VipsImage **out,
                                          VipsInterpretation space) {
    return vips_colourspace(in, out, space, NULL);
}

static inline int intake_vips_cast_uchar(VipsImage *in, VipsImage **out) {
    return vips_cast(in, out, VIPS_FORMAT_UCHAR, NULL);
}

/* Composites the alpha channel onto black. */
static inline int intake_vips_flatten(VipsImage *in, VipsImage **out) {
    return vips_flatten(in, out, NULL);
}

static inline int intake_vips_extract_bands(VipsImage *in, VipsImage **out, int first, int n) {
    return vips_extract_band(in, out, first, "n", n, NULL);
}

/* Writes lossy WebP without metadata: a thumbnail carries no EXIF (and so no GPS). */
static inline int intake_vips_webpsave(VipsImage *in, const char *path, int quality,
                                       int effort) {
    return vips_webpsave(in, path, "Q", quality, "strip", TRUE, "effort", effort, NULL);
}

static inline int intake_vips_pngsave(VipsImage *in, const char *path) {
    return vips_pngsave(in, path, NULL);
}

static inline int intake_vips_jpegsave(VipsImage *in, const char *path, int quality) {
    return vips_jpegsave(in, path, "Q", quality, NULL);
}

static inline int intake_vips_resize(VipsImage *in, VipsImage **out, double scale) {
    return vips_resize(in, out, scale, NULL);
}

/* vips_resize with a linear (triangle) kernel, which libvips widens with the reduction so
   that it still averages every input pixel. */
static inline int intake_vips_resize_linear(VipsImage *in, VipsImage **out, double scale) {
    return vips_resize(in, out, scale, "kernel", VIPS_KERNEL_LINEAR, NULL);
}

/* Not wrappers: the two helpers `Vips` uses to choose which loader modules it loads. */

/* Loads the libvips module (a loader plug-in) at `path` for good; it registers its operations
   as it loads. Returns 0, or -1 with g_module_error() set. */
static inline int intake_vips_load_module(const char *path) {
    GModule *module = g_module_open(path, G_MODULE_BIND_LAZY);
    if (module == NULL) return -1;
    g_module_make_resident(module);
    return 0;
}

/* The address of a function inside libvips, to find where the library was loaded from. */
static inline const void *intake_vips_address(void) {
    return (const void *)&vips_init;
}

#endif
