/*
 * Reading a module's declaration from its ELF file (modfile.h): the
 * section headers and their names, then the ".poold_module" section's
 * bytes, all with pread(2) on the file; nothing of it is mapped or run.
 * Only the machine's own ELF class and byte order are accepted: a module
 * is loaded by a worker of this very machine.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modfile.h"
#include "opkind.h"
#include "template.h"

#define MODFILE_SECTION ".poold_module"

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define MODFILE_DATA ELFDATA2LSB
#else
#define MODFILE_DATA ELFDATA2MSB
#endif
#if __SIZEOF_POINTER__ == 8
#define MODFILE_CLASS ELFCLASS64
#else
#define MODFILE_CLASS ELFCLASS32
#endif

static int modfile_pread(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	return n == (ssize_t)len ? 0 : -1;
}

/* The ELF header, checked for this machine.  0, or -1 with a reason. */
static int modfile_ehdr(int fd, ElfW(Ehdr) * eh, char *err, size_t errlen)
{
	if (modfile_pread(fd, eh, sizeof(*eh), 0) == -1 ||
	    memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0) {
		snprintf(err, errlen, "not an ELF shared object");
		return -1;
	}
	if (eh->e_ident[EI_CLASS] != MODFILE_CLASS || eh->e_ident[EI_DATA] != MODFILE_DATA ||
	    eh->e_type != ET_DYN || eh->e_shentsize != sizeof(ElfW(Shdr))) {
		snprintf(err, errlen, "not a shared object for this machine");
		return -1;
	}
	return 0;
}

/* Finds the section named name: its offset and size.  0, or -1. */
static int modfile_section(int fd, const ElfW(Ehdr) * eh, const char *name, off_t *off,
                           size_t *size)
{
	ElfW(Shdr) sh, strs;
	char got[sizeof(MODFILE_SECTION) + 1];
	unsigned i;

	if (eh->e_shstrndx == SHN_UNDEF || eh->e_shstrndx >= eh->e_shnum ||
	    modfile_pread(fd, &strs, sizeof(strs),
	                  (off_t)(eh->e_shoff + eh->e_shstrndx * sizeof(sh))) == -1)
		return -1;
	for (i = 0; i < eh->e_shnum; i++) {
		if (modfile_pread(fd, &sh, sizeof(sh), (off_t)(eh->e_shoff + i * sizeof(sh))) == -1)
			return -1;
		if (sh.sh_name >= strs.sh_size || sh.sh_type != SHT_PROGBITS)
			continue;
		memset(got, 0, sizeof(got));
		if (pread(fd, got, sizeof(got) - 1, (off_t)(strs.sh_offset + sh.sh_name)) <= 0)
			continue;
		if (strncmp(got, name, sizeof(got)) == 0) {
			*off = (off_t)sh.sh_offset;
			*size = (size_t)sh.sh_size;
			return 0;
		}
	}
	return -1;
}

/* One kind of a declaration: name, schema, flags. */
static int modfile_kind(const struct poold_module *decl, unsigned i, char *err, size_t errlen)
{
	const struct poold_kind_decl *k = &decl->kinds[i];
	char why[256];
	struct tpl t;
	unsigned j;

	if (memchr(k->name, '\0', sizeof(k->name)) == NULL || !opkind_name_ok(k->name)) {
		snprintf(err, errlen, "kind %u: bad name (letters, digits, _ and -, at most %d)",
		         i + 1, POOLD_MODULE_NAME_MAX);
		return -1;
	}
	for (j = 0; j < i; j++)
		if (strcmp(decl->kinds[j].name, k->name) == 0) {
			snprintf(err, errlen, "kind %s declared twice", k->name);
			return -1;
		}
	if (memchr(k->schema, '\0', sizeof(k->schema)) == NULL ||
	    tpl_parse_schema(&t, k->schema, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "kind %s: bad schema: %s", k->name,
		         memchr(k->schema, '\0', sizeof(k->schema)) == NULL ? "not NUL-ended"
		                                                            : why);
		return -1;
	}
	tpl_free(&t);
	if ((k->flags & ~POOLD_KIND_BATCH) != 0) {
		snprintf(err, errlen, "kind %s: unknown flags %#x", k->name, k->flags);
		return -1;
	}
	return 0;
}

int modfile_check(const struct poold_module *decl, char *err, size_t errlen)
{
	unsigned i;

	if (memcmp(decl->magic, POOLD_MODULE_MAGIC, sizeof(POOLD_MODULE_MAGIC)) != 0) {
		snprintf(err, errlen, "no poold module declaration (bad magic)");
		return -1;
	}
	if (decl->abi != POOLD_MODULE_ABI || decl->size != sizeof(*decl)) {
		snprintf(err, errlen,
		         "ABI mismatch: the module was built for module ABI %u (%u bytes), this "
		         "poold has ABI %d: rebuild it against this poold's <poold/module.h>",
		         decl->abi, decl->size, POOLD_MODULE_ABI);
		return -1;
	}
	if (decl->nkinds == 0 || decl->nkinds > POOLD_MODULE_KINDS_MAX) {
		snprintf(err, errlen, "%u kinds declared: 1 to %d", decl->nkinds,
		         POOLD_MODULE_KINDS_MAX);
		return -1;
	}
	for (i = 0; i < decl->nkinds; i++)
		if (modfile_kind(decl, i, err, errlen) == -1)
			return -1;
	return 0;
}

int modfile_read(const char *path, struct poold_module *decl, char *err, size_t errlen)
{
	ElfW(Ehdr) eh;
	char why[512];
	size_t size = 0;
	off_t off;
	int fd, r = -1;

	memset(decl, 0, sizeof(*decl));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (modfile_ehdr(fd, &eh, why, sizeof(why)) == -1)
		snprintf(err, errlen, "%s: %s", path, why);
	else if (modfile_section(fd, &eh, MODFILE_SECTION, &off, &size) == -1)
		snprintf(err, errlen,
		         "%s: missing symbol poold_module (no \"%s\" section: not a poold module)",
		         path, MODFILE_SECTION);
	else if (size < offsetof(struct poold_module, kinds) ||
	         modfile_pread(fd, decl, size < sizeof(*decl) ? size : sizeof(*decl), off) == -1)
		snprintf(err, errlen, "%s: the \"%s\" section is truncated", path, MODFILE_SECTION);
	else if (size != sizeof(*decl) && memcmp(decl->magic, POOLD_MODULE_MAGIC, 8) == 0 &&
	         decl->abi == POOLD_MODULE_ABI)
		snprintf(err, errlen, "%s: the \"%s\" section has %zu bytes, not %zu", path,
		         MODFILE_SECTION, size, sizeof(*decl));
	else if (modfile_check(decl, why, sizeof(why)) == -1)
		snprintf(err, errlen, "%s: %s", path, why);
	else
		r = 0;
	close(fd);
	return r;
}
