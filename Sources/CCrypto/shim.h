#ifndef INTAKE_CCRYPTO_SHIM_H
#define INTAKE_CCRYPTO_SHIM_H
#include <openssl/evp.h>
#include <openssl/sha.h>
#endif
