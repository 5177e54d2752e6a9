// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * MISC_CHECK and the scripts of the daemon: fork/exec as their user, in a
 * process group of its own (so that a timeout kills its children too),
 * its exit learnt through a pidfd in the loop: no SIGCHLD handler, no
 * blocking wait. misc_dynamic reads the exit code as keepalived documents:
 * 0 up, 1 down, 2-255 up with weight code - 2.
 */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/wait.h>
#include "check_int.h"

#define MAX_ARGS 64

/*
 * Split @cmd as keepalived does: blanks separate words, quotes (single or
 * double) group them, a backslash takes the next character as is.
 */
static int split(const char *cmd, char *buf, size_t len, char **argv)
{
	size_t o = 0;
	int argc = 0;

	while (*cmd) {
		char quote = 0;

		while (*cmd == ' ' || *cmd == '\t')
			cmd++;
		if (!*cmd)
			break;
		if (argc == MAX_ARGS - 1)
			return -E2BIG;
		argv[argc++] = buf + o;
		for (; *cmd; cmd++) {
			char ch = *cmd;

			if (quote && ch == quote) {
				quote = 0;
				continue;
			}
			if (!quote && (ch == '"' || ch == '\'')) {
				quote = ch;
				continue;
			}
			if (!quote && (ch == ' ' || ch == '\t'))
				break;
			if (ch == '\\' && cmd[1])
				ch = *++cmd;
			if (o + 2 > len)
				return -E2BIG;
			buf[o++] = ch;
		}
		buf[o++] = '\0';
	}
	argv[argc] = NULL;
	return argc ? 0 : -EINVAL;
}

/* Only async-signal-safe calls from here to exec (and initgroups(), which
 * may wait on the group database: in the child, not the loop). */
static void child(char **argv, const struct conf_cred *cr)
{
	sigset_t none;
	int fd;

	setpgid(0, 0);
	/* The daemon blocks the signals its signalfd reads. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
	}
	if (cr->drop && (setgid(cr->gid) || initgroups(cr->user, cr->gid) ||
			 setuid(cr->uid)))
		_exit(126);
	syscall(SYS_close_range, 3U, ~0U, 0U);
	execvp(argv[0], argv);
	_exit(127);
}

int check_spawn(const struct conf_cred *cr, const char *cmd, pid_t *pidp,
		int *pidfdp)
{
	char buf[4096], *argv[MAX_ARGS];
	pid_t pid;
	int fd, err;

	err = split(cmd, buf, sizeof(buf), argv);
	if (err)
		return err;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid)
		child(argv, cr);
	/* Also here: the group must exist before anyone kills it. */
	setpgid(pid, pid);
	fd = syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0) {
		/* Gone before we could watch it: reaped by the kernel, for
		 * SIGCHLD is ignored (no zombie stays): said as wait says it. */
		err = errno == ESRCH ? -ECHILD : -errno;
		/* Not watched (no descriptor left): never waited for, a
		 * zombie at worst. */
		kill(-pid, SIGKILL);
		waitpid(pid, NULL, WNOHANG);
		return err;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	*pidp = pid;
	*pidfdp = fd;
	return 0;
}

/* keepalived's: a script past its timeout has this long after SIGTERM
 * before its group is killed */
#define TERM_GRACE_MS 2000

struct misc_priv {
	pid_t pid; /* in flight, its pidfd in c->lfd; 0: none */
	/*
	 * Stopped (its timeout, a free), not reaped yet: its pidfd watched
	 * in the loop, its group killed at its exit or TERM_GRACE_MS after
	 * the SIGTERM. As keepalived's, the next check waits until it has
	 * gone.
	 */
	pid_t zpid;
	int zfd;
	struct loop_fd zlfd;
	struct loop_timer kill;
};

static void kill_due(struct loop_timer *t);

static int misc_init(struct checker *c)
{
	struct misc_priv *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->zfd = -1;
	p->zlfd.fd = -1;
	loop_timer_init(&p->kill, kill_due, c);
	c->priv = p;
	return 0;
}

static bool exited(int pidfd)
{
	siginfo_t si = {0};

	return waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si,
		      WEXITED | WNOHANG | WNOWAIT) ||
	       si.si_pid;
}

/* Its group (children the script left) first: the unreaped leader keeps
 * the group's id from being reused. */
static void reap_group(pid_t pid, int pidfd)
{
	siginfo_t si;

	kill(-pid, SIGKILL);
	waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG);
	close(pidfd);
}

/* The stopped script exited. */
static void zombie_gone(struct checker *c)
{
	struct misc_priv *p = c->priv;

	loop_fd_del(checker_loop(c), &p->zlfd);
	loop_timer_cancel(checker_loop(c), &p->kill);
	reap_group(p->zpid, p->zfd);
	p->zfd = -1;
	p->zpid = 0;
}

static void zombie_event(struct loop_fd *h, uint32_t events)
{
	struct checker *c = h->arg;

	if (exited(h->fd))
		zombie_gone(c);
}

static void kill_due(struct loop_timer *t)
{
	struct checker *c = t->arg;
	struct misc_priv *p = c->priv;

	if (p->zfd >= 0)
		kill(-p->zpid, SIGKILL);
}

/*
 * Whether the script stopped last still runs. A SIGKILLed process dies at
 * once, unless it waits in the kernel (D state, a hung NFS mount): never
 * wait for it here.
 */
static bool zombie_alive(struct checker *c)
{
	struct misc_priv *p = c->priv;

	if (p->zfd < 0)
		return false;
	if (!exited(p->zfd))
		return true;
	zombie_gone(c);
	return false;
}

static void misc_stop(struct checker *c)
{
	struct misc_priv *p = c->priv;
	struct loop *l = checker_loop(c);
	int fd = c->lfd.fd;

	if (fd < 0)
		return;
	loop_fd_del(l, &c->lfd);
	if (!p->pid) {
		close(fd);
		return;
	}
	if (exited(fd)) {
		reap_group(p->pid, fd);
		p->pid = 0;
		return;
	}
	/* Still running (timeout, free): keepalived's SIGTERM to its
	 * group, then SIGKILL. None older: misc_start() reaped it or
	 * refused. */
	kill(-p->pid, SIGTERM);
	p->zpid = p->pid;
	p->zfd = fd;
	p->pid = 0;
	if (loop_fd_add(l, &p->zlfd, fd, EPOLLIN, zombie_event, c) ||
	    loop_timer_in(l, &p->kill, TERM_GRACE_MS))
		kill(-p->zpid, SIGKILL); /* unwatched: no grace */
}

static void misc_fini(struct checker *c)
{
	struct misc_priv *p = c->priv;

	if (!p)
		return;
	misc_stop(c);
	if (zombie_alive(c)) {
		/* freed: no grace left to wait out */
		loop_fd_del(checker_loop(c), &p->zlfd);
		loop_timer_cancel(checker_loop(c), &p->kill);
		kill(-p->zpid, SIGKILL);
		check_reap_later(checker_loop(c), p->zpid, p->zfd);
	}
	free(p);
	c->priv = NULL;
}

static void misc_event(struct loop_fd *lfd, uint32_t events)
{
	struct checker *c = lfd->arg;
	struct misc_priv *p = c->priv;
	siginfo_t si = {0};
	int code;

	int r = waitid((idtype_t)P_PIDFD, (id_t)lfd->fd, &si,
		       WEXITED | WNOHANG);

	if (!r && !si.si_pid)
		return; /* not yet */
	p->pid = 0;
	if (r) {
		/* SIGCHLD ignored: the kernel reaped it, its status is lost. */
		checker_errno(c, "wait", -errno);
		checker_done(c, false);
		return;
	}
	if (si.si_code != CLD_EXITED) {
		checker_reason(c, "killed by signal %d", si.si_status);
		checker_done(c, false);
		return;
	}
	code = si.si_status;
	checker_reason(c, "exit status %d", code);
	if (code == 0) {
		c->weight = -1;
		checker_done(c, true);
	} else if (c->cc->misc_dynamic && code >= 2) {
		c->weight = code - 2;
		checker_done(c, true);
	} else {
		checker_done(c, false);
	}
}

static int misc_start(struct checker *c)
{
	struct misc_priv *p = c->priv;
	int fd, err;

	if (zombie_alive(c)) {
		checker_reason(c, "stopped at its timeout, pid %d still runs",
			       (int)p->zpid);
		return -EBUSY;
	}
	if (!c->cc->misc.cmd) {
		checker_reason(c, "no misc_path");
		return -EINVAL;
	}
	err = check_spawn(&c->cc->misc.cred, c->cc->misc.cmd, &p->pid, &fd);
	if (err)
		return checker_errno(c, "exec", err);
	err = loop_fd_add(checker_loop(c), &c->lfd, fd, EPOLLIN, misc_event, c);
	if (err) {
		kill(-p->pid, SIGKILL);
		check_reap_later(checker_loop(c), p->pid, fd);
		p->pid = 0;
		return checker_errno(c, "epoll", err);
	}
	return 0;
}

const struct checker_ops check_misc_ops = {
	.name = "MISC_CHECK",
	.init = misc_init,
	.start = misc_start,
	.stop = misc_stop,
	.fini = misc_fini,
};
