/*
 * poold native job modules: the one header a module includes.
 *
 * A module is a shared object exporting two symbols, made by the two
 * macros below:
 *
 *   poold_module      its declaration: plain data (no pointer, no code)
 *                     in an ELF section of its own, ".poold_module", so
 *                     the master, poolctl and `poold --check-module` read
 *                     each kind's name, argument schema and flags from
 *                     the file without loading it or running any code;
 *   poold_module_ops  its functions, one entry per declared kind in the
 *                     same order: run, and optional per-worker init and
 *                     fini.  Only workers load the module (dlopen, after
 *                     fork) and call them.
 *
 * A module sees an opaque job handle and the table of functions struct
 * poold_api, never poold's internal structures.  POOLD_MODULE_ABI
 * changes, and poold refuses modules built for another number, whenever
 * anything in this file changes in a way that breaks a built module: a
 * field of struct poold_module, struct poold_kind_decl, struct
 * poold_kind_ops or struct poold_api removed, moved or retyped, a size
 * constant changed, a function's meaning changed.  Appending a function
 * at the end of struct poold_api does not (api->size tells a module
 * what it has).
 */
#ifndef POOLD_MODULE_H
#define POOLD_MODULE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define POOLD_MODULE_ABI        1
#define POOLD_MODULE_MAGIC      "poold-m"
#define POOLD_MODULE_KINDS_MAX  8
#define POOLD_MODULE_NAME_MAX   32   /* bytes of a kind's name */
#define POOLD_MODULE_SCHEMA_MAX 1024 /* bytes of a kind's schema */

/* What a run function returns. */
enum poold_result {
	POOLD_OK = 0,
	POOLD_FAILED = 1,
	POOLD_TIMEDOUT = 2,
	POOLD_RETRY = 3, /* failed for now (a service is down): a queue's `retry` retries it */
};

/* Kind flags. */
#define POOLD_KIND_BATCH 1u /* no effects: its completion may wait for a batch */

/*
 * One kind.  name: letters, digits, '_' and '-', starting with a letter.
 * schema: the job's arguments, placeholders only, the typed placeholders
 * of [kind.NAME] exec (poold.ini(5)): "{1:path:/srv} {2:enum:sha256|md5}";
 * "" takes no arguments.  The master checks every job line against it
 * before accepting it; the worker checks it again (paths on the
 * filesystem) before calling run.
 */
struct poold_kind_decl {
	char name[POOLD_MODULE_NAME_MAX + 1];
	char schema[POOLD_MODULE_SCHEMA_MAX];
	uint32_t flags;
};

struct poold_module {
	char magic[8]; /* POOLD_MODULE_MAGIC */
	uint32_t abi;  /* POOLD_MODULE_ABI */
	uint32_t size; /* sizeof(struct poold_module) */
	uint32_t nkinds;
	uint32_t reserved;
	struct poold_kind_decl kinds[POOLD_MODULE_KINDS_MAX];
};

typedef struct poold_job poold_job; /* opaque */

/* What poold gives a run function. */
struct poold_api {
	uint32_t abi;  /* POOLD_MODULE_ABI */
	uint32_t size; /* sizeof(struct poold_api) in poold */
	/* The value of placeholder n (1-based), checked and normalized,
	 * NUL-ended; NULL if there is no such placeholder. */
	const char *(*arg)(poold_job *job, unsigned n);
	unsigned (*nargs)(poold_job *job);
	uint64_t (*id)(poold_job *job);
	/* 1 the first time the job is given to a worker, 2 after a worker died
	 * holding it, ... */
	unsigned (*attempt)(poold_job *job);
	/* The job's one-line result message (at most 255 bytes kept): the
	 * reason of a failure, or what a success found. */
	void (*result)(poold_job *job, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
	/* CLOCK_MONOTONIC time in ns at which the master stops the job
	 * (SIGTERM to the worker), 0 if it has no time limit; never later
	 * than the master's (it may be a few ms earlier: it counts from when
	 * the worker began the run of batched jobs this one came in). */
	uint64_t (*deadline_ns)(poold_job *job);
	/* What this kind's init stored for this worker, or NULL. */
	void *(*state)(poold_job *job);
};

struct poold_kind_ops {
	/* Runs one job in a worker: plain blocking calls; returns an enum
	 * poold_result.  A crash here is a worker death (the job is given to
	 * another worker, buried after [pool] max_attempts). */
	int (*run)(poold_job *job, const struct poold_api *api);
	/* Once per worker before its first job of the kind; may store state.
	 * Returns 0, or -1 with a reason in err: the worker then refuses this
	 * kind (the master sends its jobs to other workers; if none can run
	 * it, they fail with that reason) and keeps serving the others. */
	int (*init)(void **state, char *err, size_t errlen);
	/* When the worker exits, if init succeeded. */
	void (*fini)(void *state);
};

struct poold_module_ops {
	uint32_t abi;    /* POOLD_MODULE_ABI */
	uint32_t nkinds; /* entries in kinds */
	struct poold_kind_ops kinds[POOLD_MODULE_KINDS_MAX];
};

#define POOLD_KIND(name, schema, flags)                                                            \
	{                                                                                          \
		name, schema, flags                                                                \
	}

#define POOLD_MODULE_EXPORT_ __attribute__((visibility("default"), used))

/* POOLD_MODULE(POOLD_KIND("hash", "{1:path:/srv}", 0), ...); */
#define POOLD_MODULE(...)                                                                          \
	POOLD_MODULE_EXPORT_ __attribute__((section(".poold_module")))                             \
	const struct poold_module poold_module = {                                                 \
	    POOLD_MODULE_MAGIC,                                                                    \
	    POOLD_MODULE_ABI,                                                                      \
	    sizeof(struct poold_module),                                                           \
	    sizeof((struct poold_kind_decl[]){__VA_ARGS__}) / sizeof(struct poold_kind_decl),      \
	    0,                                                                                     \
	    {__VA_ARGS__}}

/* POOLD_MODULE_OPS({.run = hash_run, .init = hash_init}, ...); */
#define POOLD_MODULE_OPS(...)                                                                      \
	POOLD_MODULE_EXPORT_ const struct poold_module_ops poold_module_ops = {                    \
	    POOLD_MODULE_ABI,                                                                      \
	    sizeof((struct poold_kind_ops[]){__VA_ARGS__}) / sizeof(struct poold_kind_ops),        \
	    {__VA_ARGS__}}

#ifdef __cplusplus
}
#endif

#endif
