// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * jitdump NAME IMAGE: the JITed code of the loaded BPF program NAME (its
 * main function) into file IMAGE, and on stdout its kernel address, then
 * for each of its line records the offset of its first JITed byte, its
 * file:line and source line. What `bpftool prog dump jited linum` prints,
 * for a bpftool built without libbfd (Debian's): make profile disassembles
 * the image with objdump and puts perf's samples on the lines.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

/* The fd of the newest loaded program named @name (the bench's, where
 * another lbxdp runs too), or -ENOENT. */
static int prog_by_name(const char *name)
{
	struct bpf_prog_info info;
	__u32 id = 0, len;
	int fd, found = -ENOENT;

	while (!bpf_prog_get_next_id(id, &id)) {
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    !strncmp(info.name, name, sizeof(info.name))) {
			if (found >= 0)
				close(found);
			found = fd;
			continue;
		}
		close(fd);
	}
	return found;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static int dump(int fd, const char *image)
{
	struct bpf_prog_info info = {};
	struct bpf_line_info *li = NULL;
	__u64 *jli = NULL, *ksyms = NULL;
	__u32 *lens = NULL, len = sizeof(info), n, i;
	struct btf *btf = NULL;
	__u8 *code = NULL;
	FILE *f = NULL;
	int err;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (!info.jited_prog_len || !info.nr_jited_ksyms ||
	    !info.nr_jited_func_lens || !info.nr_line_info ||
	    info.nr_jited_line_info != info.nr_line_info)
		return -ENODATA; /* not JITed, or no BTF line info */
	code = malloc(info.jited_prog_len);
	lens = calloc(info.nr_jited_func_lens, sizeof(*lens));
	ksyms = calloc(info.nr_jited_ksyms, sizeof(*ksyms));
	li = calloc(info.nr_line_info, sizeof(*li));
	jli = calloc(info.nr_line_info, sizeof(*jli));
	err = -ENOMEM;
	if (!code || !lens || !ksyms || !li || !jli)
		goto cleanup;
	n = info.nr_line_info;
	info = (struct bpf_prog_info){
		.jited_prog_len = info.jited_prog_len,
		.jited_prog_insns = (unsigned long)code,
		.nr_jited_func_lens = info.nr_jited_func_lens,
		.jited_func_lens = (unsigned long)lens,
		.nr_jited_ksyms = info.nr_jited_ksyms,
		.jited_ksyms = (unsigned long)ksyms,
		.nr_line_info = n,
		.line_info_rec_size = sizeof(*li),
		.line_info = (unsigned long)li,
		.nr_jited_line_info = n,
		.jited_line_info_rec_size = sizeof(*jli),
		.jited_line_info = (unsigned long)jli,
		.btf_id = info.btf_id,
	};
	len = sizeof(info);
	err = bpf_obj_get_info_by_fd(fd, &info, &len) ? -errno : 0;
	if (err)
		goto cleanup;
	btf = btf__load_from_kernel_by_id(info.btf_id);
	err = btf ? 0 : -errno;
	if (err)
		goto cleanup;
	f = fopen(image, "w");
	err = f ? 0 : -errno;
	if (err)
		goto cleanup;
	/* The main function comes first in the image; lens[0] its size. */
	if (fwrite(code, 1, lens[0], f) != lens[0] || fclose(f))
		err = -EIO;
	f = NULL;
	if (err)
		goto cleanup;
	printf("%#llx %u\n", (unsigned long long)ksyms[0], lens[0]);
	for (i = 0; i < n; i++) {
		const char *file =
			btf__name_by_offset(btf, li[i].file_name_off);
		const char *src = btf__name_by_offset(btf, li[i].line_off);

		if (jli[i] < ksyms[0] || jli[i] >= ksyms[0] + lens[0])
			continue; /* a subprogram's */
		printf("%#llx\t%s:%u\t%s\n",
		       (unsigned long long)(jli[i] - ksyms[0]),
		       base_name(file ? file : "?"),
		       BPF_LINE_INFO_LINE_NUM(li[i].line_col), src ? src : "");
	}
cleanup:
	if (f)
		fclose(f);
	btf__free(btf);
	free(code);
	free(lens);
	free(ksyms);
	free(li);
	free(jli);
	return err;
}

int main(int argc, char **argv)
{
	int fd, err;

	if (argc != 3) {
		fprintf(stderr, "usage: %s PROG_NAME IMAGE_FILE\n", argv[0]);
		return 2;
	}
	fd = prog_by_name(argv[1]);
	if (fd < 0) {
		fprintf(stderr, "jitdump: no loaded program named %s\n",
			argv[1]);
		return 1;
	}
	err = dump(fd, argv[2]);
	close(fd);
	if (err) {
		fprintf(stderr, "jitdump: %s: %s\n", argv[1], strerror(-err));
		return 1;
	}
	return 0;
}
