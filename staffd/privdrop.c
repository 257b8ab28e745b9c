/* Leaving root after start-up: chown the state, then setgroups/setgid/setuid
 * and a check that nothing of root is left. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "privdrop.h"

int privdrop_lookup(const char *name, uid_t *ret_uid, gid_t *ret_gid)
{
	struct passwd pw, *found = NULL;
	long size = sysconf(_SC_GETPW_R_SIZE_MAX);
	char *buf;
	int r;

	if (!name || !*name)
		return -EINVAL;
	if (size < 1024)
		size = 16384;
	buf = malloc((size_t)size);
	if (!buf)
		return -ENOMEM;
	/*
	 * NSS may ask other services here. It cannot ask this daemon: at start-up
	 * nothing serves its sockets yet, and main() tells nss-systemd to skip
	 * its userdb service. The user is a system user, found in /etc/passwd.
	 */
	r = getpwnam_r(name, &pw, buf, (size_t)size, &found);
	if (r == 0 && !found)
		r = -ESRCH;
	else if (r > 0)
		r = r == ENOENT || r == ESRCH || r == EBADF || r == EPERM ? -ESRCH : -r;
	else if (pw.pw_uid == 0 || pw.pw_gid == 0)
		r = -EPERM;	/* dropping to root or its group would keep what the drop takes away */
	if (r == 0) {
		*ret_uid = pw.pw_uid;
		*ret_gid = pw.pw_gid;
	}
	free(buf);
	return r;
}

int privdrop_chown_state(const char *dir, uid_t uid, gid_t gid)
{
	struct dirent *e;
	DIR *d = NULL;
	int fd, r = 0;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd)) || fchown(fd, uid, gid) < 0) {
		r = -errno;
		goto out;
	}
	/* Only the top level: LMDB and the key file live there, nothing deeper. */
	for (errno = 0; (e = readdir(d)); errno = 0) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (fchownat(fd, e->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
			break;
	}
	if (errno)
		r = -errno;
out:
	if (d)
		closedir(d);	/* closes fd too */
	else if (fd >= 0)
		close(fd);
	return r;
}

/* Capabilities are kept in the inheritable set across setuid; clear every set. */
static int caps_clear(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	for (size_t i = 0; i < 2; i++)
		if (data[i].effective || data[i].permitted || data[i].inheritable)
			return -EPERM;
	return 0;
}

int privdrop_become(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	int r;

	if (uid == 0 || gid == 0)
		return -EINVAL;
	/* glibc applies each of these to every thread of the process. */
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)
		return -errno;
	r = caps_clear();
	if (r < 0)
		return r;
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return -errno;
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid || getgroups(0, NULL) != 0)
		return -EPERM;
	/* With no saved root uid and no capability, these must be refused. */
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0 || setgroups(0, NULL) == 0)
		return -EPERM;
	return 0;
}
