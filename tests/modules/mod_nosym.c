/*
 * Test module: a declaration without POOLD_MODULE_OPS (no functions);
 * poold must refuse it, naming the missing symbol.
 */
#include <poold/module.h>

POOLD_MODULE(POOLD_KIND("nosym", "", 0));
