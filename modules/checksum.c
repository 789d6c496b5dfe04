/*
 * The `checksum` native module (poold-modules(7)): the SHA-256 or SHA-512
 * of a regular file, hashed by nettle, as the job's result message
 * ("sha256 HEX").  Its schema takes an absolute path, checked by poold
 * like a [kind.NAME] path placeholder (no .. component, no symlink, no
 * device, FIFO or socket); the file is opened without following a last
 * symlink and read in blocks, the job giving up at its deadline.
 * Built only against <poold/module.h>, as any module out of tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <poold/module.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nettle/sha2.h>

#define CHECKSUM_BLOCK (64 * 1024)

union checksum_ctx {
	struct sha256_ctx s256;
	struct sha512_ctx s512;
};

static uint64_t checksum_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Hashes fd into digest; 0, -1 (errno) or 1 past the deadline. */
static int checksum_fd(int fd, int wide, uint64_t deadline, uint8_t *digest)
{
	static unsigned char buf[CHECKSUM_BLOCK];
	union checksum_ctx c;
	ssize_t n;

	if (wide)
		sha512_init(&c.s512);
	else
		sha256_init(&c.s256);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (wide)
			sha512_update(&c.s512, (size_t)n, buf);
		else
			sha256_update(&c.s256, (size_t)n, buf);
		if (deadline != 0 && checksum_now_ns() > deadline)
			return 1;
	}
	if (wide)
		sha512_digest(&c.s512, SHA512_DIGEST_SIZE, digest);
	else
		sha256_digest(&c.s256, SHA256_DIGEST_SIZE, digest);
	return 0;
}

static int checksum_run(poold_job *job, const struct poold_api *api)
{
	const char *algo = api->arg(job, 1), *path = api->arg(job, 2);
	uint8_t digest[SHA512_DIGEST_SIZE];
	char hex[2 * SHA512_DIGEST_SIZE + 1];
	int wide = strcmp(algo, "sha512") == 0, fd, r;
	size_t i, n = wide ? SHA512_DIGEST_SIZE : SHA256_DIGEST_SIZE;
	struct stat st;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1) {
		api->result(job, "open %s: %s", path, strerror(errno));
		return POOLD_FAILED;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		api->result(job, "%s: not a regular file", path);
		close(fd);
		return POOLD_FAILED;
	}
	r = checksum_fd(fd, wide, api->deadline_ns(job), digest);
	if (r != 0)
		api->result(job, "read %s: %s", path,
		            r == 1 ? "past the deadline" : strerror(errno));
	close(fd);
	if (r != 0)
		return r == 1 ? POOLD_TIMEDOUT : POOLD_FAILED;
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	api->result(job, "%s %s", algo, hex);
	return POOLD_OK;
}

POOLD_MODULE(POOLD_KIND("checksum", "{1:enum:sha256|sha512} {2:path:/}", 0));
POOLD_MODULE_OPS({.run = checksum_run});
