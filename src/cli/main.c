/*
 * main.c: the command line (SPEC.md, "Command line").  Parses the global
 * options and the command, loads the config, and hands over to the module
 * that does the work.  Only main exits.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "cli/adopt.h"
#include "config/config.h"
#include "cli/daemon.h"
#include "imocha/http.h"
#include "imocha/imocha.h"
#include "ldap/ldapsrc.h"
#include "util/log.h"
#include "plan/mapping.h"
#include "report/output.h"
#include "state/state.h"
#include "state/state_audit.h"
#include "sync/syncgroups.h"
#include "sync/syncrun.h"

#define DEFAULT_CONFIG "/etc/ldap2imocha/ldap2imocha.ini"

static const char usage_text[] =
"usage: ldap2imocha [-c FILE] [-v|-q] COMMAND [OPTIONS]\n"
"\n"
"Keeps iMocha's users in step with an LDAP directory.\n"
"\n"
"commands:\n"
"  plan [--json] [--out FILE]\n"
"                       compute the changes and print them; change nothing anywhere\n"
"                       (--out: also save them for review and 'sync --plan')\n"
"  sync [--full] [--force] [--plan FILE]\n"
"                       one reconciliation pass that applies the changes, then exit\n"
"                       (--plan: apply exactly that saved plan, refused if stale)\n"
"  daemon               run sync every [sync] interval, in the foreground, until\n"
"                       SIGTERM or SIGINT; SIGHUP re-reads the config\n"
"  status [--json]      users by state with the last change into each, last runs,\n"
"                       failures\n"
"  history [--since TIME] [--user EMAIL] [--json]\n"
"                       every change the agent made, oldest first: when, run, user,\n"
"                       what, outcome, iMocha's answer (TIME: 2026-11-28,\n"
"                       2026-11-28T09:00:00Z, or that long ago: 30s, 15m, 24h, 7d)\n"
"  check                validate the config, bind to LDAP, list iMocha's business\n"
"                       units; report each (with -v, print the effective config,\n"
"                       secrets redacted)\n"
"  business-units       list iMocha's business units (id and name)\n"
"  reset-trust          forget what audits found of the directory servers'\n"
"                       incremental reads; they are audited again before use\n"
"  adopt FILE           record the users of iMocha's CSV user export (columns email,\n"
"                       business_unit, status) as managed, so they are never created\n"
"                       again and those out of scope can be deactivated\n"
"\n"
"options:\n"
"  -c FILE     config file (default $LDAP2IMOCHA_CONFIG, else " DEFAULT_CONFIG ")\n"
"  -v          more output (debug); -q less (warnings and errors only)\n"
"  --full      sync: read the whole directory, not only what changed since the last run\n"
"  --force     sync: apply even when a safety limit would stop the run\n"
"  --json      plan, status, history: machine-readable output\n"
"  --help, --version\n"
"\n"
"exit status:\n"
"  0  done; nothing failed (plan: printed, limits it would trip named)\n"
"  1  partial: some users failed; they are retried on the next run\n"
"  2  usage or configuration error; nothing was done\n"
"  3  LDAP failure or incomplete read; nothing was changed in iMocha\n"
"  4  iMocha failure (401/403, or unreachable); the rest stays pending\n"
"  5  a safety limit stopped the run before any change (or a saved plan was stale)\n"
"  6  another instance holds the state store lock\n";

struct cli {
	const char *config_path;
	int verbosity;		/* -1 quiet, 0 config's level, 1 debug */
	const char *command;
	bool force, json, full;
	const char *plan_out, *plan_in;
	const char *file;	/* adopt FILE */
	const char *since, *user;	/* history --since, --user */
};

static int
usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "ldap2imocha: %s%s%s%s\nTry 'ldap2imocha --help'.\n", what,
	    arg ? " '" : "", arg ? arg : "", arg ? "'" : "");
	return EXIT_CONFIG;
}

/* Global options, then the command, then its options. */
static int
parse_cli(int argc, char **argv, struct cli *cli)
{
	int i;

	*cli = (struct cli){ .config_path = getenv("LDAP2IMOCHA_CONFIG") };
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			cli->config_path = argv[++i];
		else if (strcmp(argv[i], "-v") == 0)
			cli->verbosity = 1;
		else if (strcmp(argv[i], "-q") == 0)
			cli->verbosity = -1;
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "--version") == 0)
			return cli->command = argv[i], 0;
		else
			return usage_error("unknown option", argv[i]);
	}
	if (i == argc)
		return usage_error("no command given", NULL);
	cli->command = argv[i++];
	for (; i < argc; i++) {
		if (strcmp(cli->command, "adopt") == 0 && cli->file == NULL && argv[i][0] != '-')
			cli->file = argv[i];
		else if (strcmp(argv[i], "--force") == 0 && strcmp(cli->command, "sync") == 0)
			cli->force = true;
		else if (strcmp(argv[i], "--full") == 0 && (strcmp(cli->command, "sync") == 0 ||
		    strcmp(cli->command, "plan") == 0))
			cli->full = true;
		else if (strcmp(argv[i], "--json") == 0 && (strcmp(cli->command, "plan") == 0 ||
		    strcmp(cli->command, "status") == 0 || strcmp(cli->command, "history") == 0))
			cli->json = true;
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc &&
		    strcmp(cli->command, "plan") == 0)
			cli->plan_out = argv[++i];
		else if (strcmp(argv[i], "--plan") == 0 && i + 1 < argc &&
		    strcmp(cli->command, "sync") == 0)
			cli->plan_in = argv[++i];
		else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc &&
		    strcmp(cli->command, "history") == 0)
			cli->since = argv[++i];
		else if (strcmp(argv[i], "--user") == 0 && i + 1 < argc &&
		    strcmp(cli->command, "history") == 0)
			cli->user = argv[++i];
		else
			return usage_error("unknown option or argument for this command",
			    argv[i]);
	}
	if (cli->config_path == NULL || *cli->config_path == '\0')
		cli->config_path = DEFAULT_CONFIG;
	return 0;
}

static int
cmd_status(const struct config *cfg, bool json)
{
	struct status_report rep = { .state_file = cfg->state_file };
	struct state *st = NULL;
	int rc = EXIT_CONFIG;

	/* status only reads: it never creates a store. */
	if (access(cfg->state_file, F_OK) == -1) {
		log_errorx("no state store at %s yet: no sync has run with this config",
		    cfg->state_file);
		return EXIT_CONFIG;
	}
	if (state_open(cfg->state_file, &st) == -1 ||
	    state_summary(st, &rep.summary) == -1 ||
	    state_runs_recent(st, 5, &rep.runs, &rep.nruns) == -1 ||
	    state_failures(st, &rep.failures, &rep.nfailures) == -1 ||
	    state_last_changes(st, rep.last) == -1)
		goto out;
	output_status(stdout, &rep, json);
	rc = EXIT_DONE;
out:
	state_runs_free(rep.runs, rep.nruns);
	state_failures_free(rep.failures, rep.nfailures);
	state_last_changes_release(rep.last);
	state_close(st);
	return rc;
}

/* reset-trust writes the store: under the lock, like a sync. */
static int
cmd_reset_trust(const struct config *cfg)
{
	struct state *st = NULL;
	pid_t holder;
	size_t n;
	int rc = EXIT_CONFIG, lk;

	if (access(cfg->state_file, F_OK) == -1) {
		log_errorx("no state store at %s yet: no verdict to clear", cfg->state_file);
		return EXIT_CONFIG;
	}
	if (state_open(cfg->state_file, &st) == -1)
		goto out;
	if ((lk = state_lock(st, &holder)) == 1) {
		log_errorx("another ldap2imocha run (PID %ld) holds the lock on %s; try again "
		    "when it ends", (long)holder, cfg->state_file);
		rc = EXIT_LOCKED;
		goto out;
	}
	if (lk == -1 || state_audit_reset(st, &n) == -1)
		goto out;
	log_info("cleared the audit verdicts of %zu directory servers: their incremental "
	    "reads are audited again before they are used", n);
	rc = EXIT_DONE;
out:
	state_close(st);
	return rc;
}

/* history only reads, like status: no lock, and no store created. */
static int
cmd_history(const struct config *cfg, const struct cli *cli)
{
	struct history_filter f = { .email = cli->user };
	struct state *st = NULL;
	int rc = EXIT_CONFIG;

	if (cli->since != NULL && state_time_parse(cli->since, time(NULL), &f.since) == -1)
		return usage_error("--since wants a date, a date-time (ISO 8601) or a "
		    "duration such as 7d, not", cli->since);
	f.has_since = cli->since != NULL;
	if (access(cfg->state_file, F_OK) == -1) {
		log_errorx("no state store at %s yet: no sync has run with this config",
		    cfg->state_file);
		return EXIT_CONFIG;
	}
	if (state_open(cfg->state_file, &st) == 0 &&
	    output_history(stdout, st, &f, cli->json) == 0)
		rc = EXIT_DONE;
	state_close(st);
	return rc;
}

static int
cmd_business_units(const struct config *cfg)
{
	struct imocha client;
	struct imocha_bu_list bus = { 0 };
	int rc;

	syncrun_client(cfg, &client);
	if ((rc = syncrun_fetch_bus(&client, &bus)) == 0)
		output_bu_list(stdout, &bus);
	imocha_bu_list_release(&bus);
	return rc;
}

/* Every BU the config names must exist in iMocha; say which do not. */
static int
check_config_bus(const struct config *cfg, const struct imocha_bu_list *bus)
{
	int missing = 0;

	for (size_t i = 0; i < cfg->bu_map_len; i++)
		if (bu_find(bus, cfg->bu_map[i].bu) == NULL) {
			printf("mapping: %s: business unit \"%s\" does not exist in iMocha\n",
			    cfg->bu_map[i].where, cfg->bu_map[i].bu);
			missing++;
		}
	if (cfg->default_business_unit && bu_find(bus, cfg->default_business_unit) == NULL) {
		printf("mapping: default_business_unit \"%s\" does not exist in iMocha\n",
		    cfg->default_business_unit);
		missing++;
	}
	return missing;
}

/* Each configured group: its members, nested counted; 0, or -1 when one
 * cannot be used (logged, naming it). */
static int
check_groups(const struct config *cfg)
{
	struct group_scope gs;

	if (cfg->group_dn_len == 0 && cfg->bu_map_len == 0)
		return 0;
	if (syncgroups_check(cfg, &gs) == -1) {
		printf("groups: FAILED (see the error above)\n");
		return -1;
	}
	for (size_t r = 0; r < gs.nroots; r++)
		printf("group: %s: %s%s, %zu member%s under base_dn (nested counted, %zu "
		    "group%s)\n", gs.roots[r].dn, gs.roots[r].role == GROUP_SCOPE ?
		    "group_dn" : "business unit ", gs.roots[r].role == GROUP_BU ?
		    gs.roots[r].bu : "", gs.roots[r].members, gs.roots[r].members == 1 ? "" : "s",
		    gs.roots[r].groups, gs.roots[r].groups == 1 ? "" : "s");
	group_scope_release(&gs);
	return 0;
}

/* How the server will be read from run to run (informational: a server
 * read in full each time is not a failure). */
static void
check_incremental(const struct config *cfg)
{
	struct dir_server srv = { 0 };
	struct ldapsrc *src;
	bool told = false;

	if (ldapsrc_open(cfg, &src) == -1)
		return;
	ldapsrc_server(src, &srv);
	if (cfg->content_sync == CONTENT_SYNC_NO)
		printf("incremental: none (content_sync = no): every run reads in full\n");
	else if (srv.family == DIR_FAMILY_AD && srv.offers_dirsync &&
	    ldapsrc_dirsync_probe(src, &told) == 0)
		printf("incremental: DirSync, once an audit trusts the DC; a deleted user is "
		    "deactivated %s\n", told ? "by the next run (the account may replicate "
		    "directory changes)" : "by the next full read (full_every; the account "
		    "is told of no deletion: grant it \"Replicating Directory Changes\" for "
		    "sooner)");
	else if (srv.family == DIR_FAMILY_OPENLDAP && srv.offers_content_sync)
		printf("incremental: RFC 4533 content sync, once an audit trusts the server\n");
	else if (srv.offers_content_sync && cfg->content_sync == CONTENT_SYNC_YES)
		printf("incremental: RFC 4533 content sync (content_sync = yes), audited every "
		    "run until trusted\n");
	else
		printf("incremental: none on %s: every run reads in full\n",
		    dir_family_str(srv.family));
	dir_server_release(&srv);
	ldapsrc_close(src);
}

static int
cmd_check(const struct config *cfg, bool verbose)
{
	struct imocha client;
	struct imocha_bu_list bus = { 0 };
	int rc = EXIT_DONE;

	printf("config: %s: ok\n", cfg->path);
	if (verbose)
		config_dump(cfg, stdout);
	if (ldapsrc_check(cfg) == -1) {
		printf("ldap: FAILED (see the error above)\n");
		rc = EXIT_LDAP;
	} else {
		printf("ldap: ok\n");
		check_incremental(cfg);
		if (check_groups(cfg) == -1)
			rc = EXIT_LDAP;
	}
	syncrun_client(cfg, &client);
	if (syncrun_fetch_bus(&client, &bus) != 0) {
		printf("imocha: FAILED (see the error above)\n");
		if (rc == EXIT_DONE)
			rc = EXIT_IMOCHA;
	} else {
		printf("imocha: ok, %zu business units\n", bus.n);
		if (check_config_bus(cfg, &bus) > 0 && rc == EXIT_DONE)
			rc = EXIT_CONFIG;
	}
	imocha_bu_list_release(&bus);
	return rc;
}

static int
run_command(const struct cli *cli, struct config *cfg)
{
	struct run_options opt = { .force = cli->force, .json = cli->json, .full = cli->full,
	    .out = stdout,
	    .plan_out = cli->plan_out, .plan_in = cli->plan_in };

	/* A one-shot command that binds simply spares SASL's plugins; the
	 * daemon loads them once, and a reload may turn SASL on. */
	if (cfg->sasl_mech == SASL_MECH_NONE && strcmp(cli->command, "daemon") != 0)
		ldapsrc_skip_sasl_plugins();
	if (strcmp(cli->command, "plan") == 0)
		return syncrun_run(cfg, &opt);
	if (strcmp(cli->command, "sync") == 0) {
		opt.apply = true;
		return syncrun_run(cfg, &opt);
	}
	if (strcmp(cli->command, "daemon") == 0)
		return daemon_run(cfg, &(struct daemon_options){
		    .config_path = cli->config_path, .verbosity = cli->verbosity });
	if (strcmp(cli->command, "status") == 0)
		return cmd_status(cfg, cli->json);
	if (strcmp(cli->command, "history") == 0)
		return cmd_history(cfg, cli);
	if (strcmp(cli->command, "check") == 0)
		return cmd_check(cfg, cli->verbosity > 0);
	if (strcmp(cli->command, "business-units") == 0)
		return cmd_business_units(cfg);
	if (strcmp(cli->command, "reset-trust") == 0)
		return cmd_reset_trust(cfg);
	if (strcmp(cli->command, "adopt") == 0)
		return cli->file ? adopt_run(cfg, cli->file) : usage_error("adopt needs a FILE", NULL);
	return usage_error("unknown command", cli->command);
}

static bool
command_known(const char *command)
{
	static const char *const known[] = { "plan", "sync", "daemon", "status", "check",
	    "business-units", "adopt", "history", "reset-trust", NULL };

	for (size_t i = 0; known[i]; i++)
		if (strcmp(command, known[i]) == 0)
			return true;
	return false;
}

int
main(int argc, char **argv)
{
	struct cli cli;
	struct config cfg;
	int rc;

	/* The process holds two secrets: keep them out of core dumps. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* A peer that hangs up must fail a write, not kill the agent. */
	signal(SIGPIPE, SIG_IGN);
	log_init(LOG_LEVEL_INFO, false);
	if ((rc = parse_cli(argc, argv, &cli)) != 0)
		return rc;
	if (strcmp(cli.command, "--help") == 0)
		return fputs(usage_text, stdout) == EOF ? EXIT_CONFIG : EXIT_DONE;
	if (strcmp(cli.command, "--version") == 0)
		return printf("ldap2imocha %s\n", L2I_VERSION) < 0 ? EXIT_CONFIG : EXIT_DONE;
	if (!command_known(cli.command))
		return usage_error("unknown command", cli.command);
	if (config_load(cli.config_path, &cfg) == -1)
		return EXIT_CONFIG;
	log_init(cli.verbosity > 0 ? LOG_LEVEL_DEBUG : cli.verbosity < 0 ?
	    LOG_LEVEL_WARNING : (enum log_level)cfg.log_level, cfg.log_syslog);
	if (http_global_init() == -1) {
		config_release(&cfg);
		return EXIT_CONFIG;
	}
	rc = run_command(&cli, &cfg);
	http_global_cleanup();
	config_release(&cfg);
	if (fflush(stdout) == EOF)
		rc = rc ? rc : EXIT_CONFIG;
	return rc;
}
