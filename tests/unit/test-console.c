/* The console hotkey state machine and the notify and os-release parsers: pure functions. */
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "notify.h"
#include "os-release.h"
#include "tap.h"

static int feed(HotkeyState *h, const char *in, uint64_t now, char *out, size_t *out_len) {
        int key = -1;

        *out_len = 0;
        for (const char *p = in; *p; p++) {
                char fwd[4];
                size_t n;
                int k = console_hotkey_feed(h, (unsigned char) *p, now, fwd, &n);
                memcpy(out + *out_len, fwd, n);
                *out_len += n;
                if (k >= 0)
                        key = k;
        }
        return key;
}

int main(void) {
        HotkeyState h = {};
        char out[64];
        size_t n;
        NotifyUpdate u = {};
        char *v = NULL;

        CHECK_INT(feed(&h, "ab", 0, out, &n), ==, -1);
        CHECK(n == 2 && memcmp(out, "ab", 2) == 0);
        CHECK_INT(feed(&h, "\035\035\035", 10, out, &n), ==, CONSOLE_HOTKEY_KILL);
        CHECK_UINT(n, ==, 0);
        CHECK_INT(feed(&h, "\035\035p", 20, out, &n), ==, CONSOLE_HOTKEY_POWEROFF);
        CHECK_UINT(n, ==, 0);
        CHECK_INT(feed(&h, "\035\035r", 30, out, &n), ==, CONSOLE_HOTKEY_REBOOT);
        /* One Ctrl-] and then something else: both reach the machine. */
        CHECK_INT(feed(&h, "\035x", 40, out, &n), ==, -1);
        CHECK(n == 2 && out[0] == '\035' && out[1] == 'x');
        /* Two, then a letter that is no hotkey: all three pass. */
        CHECK_INT(feed(&h, "\035\035q", 50, out, &n), ==, -1);
        CHECK(n == 3 && memcmp(out, "\035\035q", 3) == 0);
        /* Ctrl-]s more than a second apart do not add up. */
        CHECK_INT(feed(&h, "\035\035", 100, out, &n), ==, -1);
        CHECK_INT(feed(&h, "\035", 100 + 2000000, out, &n), ==, -1);
        CHECK_UINT(n, ==, 2);
        h = (HotkeyState){};

        {
                const char *msg = "READY=1\nSTATUS=Up and \x01running";
                CHECK_INT(notify_parse(msg, strlen(msg), &u), ==, 0);
        }
        CHECK(u.ready && !u.stopping);
        CHECK_STR(u.status, "Up and  running");
        notify_update_done(&u);
        CHECK_INT(notify_parse("STOPPING=1\nMAINPID=3\nREADY=0", 28, &u), ==, 0);
        CHECK(!u.ready && u.stopping && !u.status);
        notify_update_done(&u);
        CHECK_INT(notify_parse("x", NOTIFY_MESSAGE_MAX + 1, &u), ==, -EMSGSIZE);

        CHECK_INT(os_release_get("ID=debian\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
                                 "PRETTY_NAME", &v),
                  ==, 0);
        CHECK_STR(v, "Debian GNU/Linux 12 (bookworm)");
        free(v);
        CHECK_INT(os_release_get("NAME='It\\'s'\n", "NAME", &v), ==, 0);
        CHECK_STR(v, "It\\"); /* as in the shell: a backslash is literal in single quotes, the next ' ends */
        free(v);
        CHECK_INT(os_release_get("A=\"x\\\"y\"\n", "A", &v), ==, 0);
        CHECK_STR(v, "x\"y");
        free(v);
        CHECK_INT(os_release_get("IDX=1\n", "ID", &v), ==, -ENOENT);
        return tap_finish();
}
