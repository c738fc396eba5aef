#ifndef INTAKE_CVIPS_SHIM_H
#define INTAKE_CVIPS_SHIM_H
#include <vips/vips.h>
#endif
