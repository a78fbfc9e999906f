/* The interactive shell (libedit, with completion and history) and its
 * batch twin: commands read one a line from a pipe or file, stopping at
 * the first that fails, so a script gets that command's exit code. */
#include "ctl/shell.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <editline/readline.h>

#include "ctl/complete.h"
#include "ctl/session.h"

#define MAX_WORDS 64

/* Splits line in place into words; '...' and "..." group blanks. -1 on an
 * unterminated quote or too many words. */
int shell_split(char *line, char **words, int max)
{
	int n = 0;
	char *r = line, *w = line;

	for (;;) {
		while (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r')
			r++;
		if (!*r || *r == '#')
			break;
		if (n == max)
			return -1;
		words[n++] = w;
		while (*r && *r != ' ' && *r != '\t' && *r != '\n' && *r != '\r') {
			if (*r == '"' || *r == '\'') {
				char q = *r++;
				while (*r && *r != q)
					*w++ = *r++;
				if (!*r)
					return -1;
				r++;
			} else {
				*w++ = *r++;
			}
		}
		if (*r)
			r++;
		*w++ = '\0';
	}
	return n;
}

static bool is_path(const char *w)
{
	return w[0] == '/' || w[0] == '.';
}

static int run_line(struct ctl_session *s, char *cwd, char *line, bool json, bool *quit)
{
	char *words[MAX_WORDS];
	int n = shell_split(line, words, MAX_WORDS);

	*quit = false;
	if (n < 0) {
		fprintf(stderr, "tandemctl: unbalanced quote or more than %d words\n", MAX_WORDS);
		return CTL_USAGE;
	}
	if (n == 0)
		return CTL_OK;
	if (is_path(words[0])) {
		if (n == 1) {
			char *cd[] = { "cd", words[0] };
			return run_command(s, cwd, NULL, 2, cd, json, quit);
		}
		return run_command(s, cwd, words[0], n - 1, words + 1, json, quit);
	}
	return run_command(s, cwd, NULL, n, words, json, quit);
}

static int batch(struct ctl_session *s, bool json)
{
	char cwd[TREE_PATH_MAX] = "/", *line = NULL;
	size_t cap = 0;
	bool quit = false;
	int rc = CTL_OK;

	while (!quit && rc == CTL_OK && getline(&line, &cap, stdin) >= 0)
		rc = run_line(s, cwd, line, json, &quit);
	free(line);
	return rc;
}

/* libedit's completion callbacks take no context. */
static struct {
	struct ctl_session *sess;
	char cwd[TREE_PATH_MAX];
	struct names cands;
	size_t next;
} sh;

static char *cand_gen(const char *text, int state)
{
	(void)text;
	if (state == 0)
		sh.next = 0;
	return sh.next < sh.cands.n ? strdup(sh.cands.v[sh.next++]) : NULL;
}

static char **complete_cb(const char *text, int start, int end)
{
	char err[256];
	json_int_t gen;
	json_t *cfg;

	(void)start;
	(void)end;
	rl_attempted_completion_over = 1;
	names_free(&sh.cands);
	if (session_get_config(sh.sess, &cfg, &gen, err, sizeof(err)))
		return NULL;
	complete_line(cfg, sh.cwd, rl_line_buffer, (size_t)rl_point, &sh.cands);
	json_decref(cfg);
	if (!sh.cands.n)
		return NULL;
	return rl_completion_matches(text, cand_gen);
}

static int interactive(struct ctl_session *s, bool json)
{
	char prompt[TREE_PATH_MAX + 4], *line;
	bool quit = false;
	int rc = CTL_OK;

	sh.sess = s;
	snprintf(sh.cwd, sizeof(sh.cwd), "/");
	rl_readline_name = "tandemctl";
	rl_attempted_completion_function = complete_cb;
	rl_completer_word_break_characters = " \t";
	rl_completion_append_character = '\0';
	while (!quit) {
		snprintf(prompt, sizeof(prompt), "%s> ", sh.cwd);
		line = readline(prompt);
		if (!line) {
			putchar('\n');
			break;
		}
		if (*line)
			add_history(line);
		rc = run_line(s, sh.cwd, line, json, &quit);
		free(line);
		/* Only a lost daemon ends the shell; a bad command does not. */
		if (rc == CTL_UNREACHABLE)
			break;
	}
	names_free(&sh.cands);
	return rc == CTL_UNREACHABLE ? rc : CTL_OK;
}

int shell_run(struct ctl_session *s, bool json)
{
	return isatty(STDIN_FILENO) ? interactive(s, json) : batch(s, json);
}
