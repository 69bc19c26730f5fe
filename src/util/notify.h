/*
 * notify.h: systemd's notify protocol (sd_notify(3)), written by hand so
 * the agent needs no libsystemd.  When $NOTIFY_SOCKET names a socket (a
 * path, or "@name" for an abstract one) each message goes to it as one
 * AF_UNIX datagram; without it the handle is NULL and every call does
 * nothing.  A message that cannot be sent is reported once (then at
 * debug level): the service manager being away must not stop the agent.
 */
#ifndef L2I_NOTIFY_H
#define L2I_NOTIFY_H

struct notify;

/* NULL when $NOTIFY_SOCKET is unset, or names nothing usable (logged). */
struct notify *notify_open(void);
/* Stops the watchdog thread, closes the socket; NULL is fine. */
void notify_close(struct notify *n);
/* Send msg ("READY=1", "STATUS=...", several lines allowed) as is. */
void notify_send(struct notify *n, const char *msg);
/* "RELOADING=1" with MONOTONIC_USEC=, as sd_notify(3) asks of a reload. */
void notify_reloading(struct notify *n);
/* When $WATCHDOG_USEC is set (and $WATCHDOG_PID is unset or ours), a thread
 * sends WATCHDOG=1 every half of it until notify_close.  Returns 0, or -1
 * (logged) when the thread cannot start. */
int notify_watchdog_start(struct notify *n);

#endif
