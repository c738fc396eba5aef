#ifndef INTAKE_CCURL_SHIM_H
#define INTAKE_CCURL_SHIM_H
#include <curl/curl.h>
#endif
