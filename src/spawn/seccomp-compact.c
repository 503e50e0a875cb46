/* SPDX-License-Identifier: LGPL-2.1-or-later */

#include <errno.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "seccomp-compact.h"

/* The largest jt/jf offset of a conditional jump. */
#define JUMP_MAX 255u

/* Distinct actions whose latest RET the builder remembers for reuse; with more, some RETs are repeated. */
#define RETS_MAX 16

/* The program is built backwards, last instruction first: then every jump target already has its place
 * when the jump is emitted, and how far away it is decides whether a conditional jump reaches it or needs
 * a long JA (or, for a RET, its own copy) in between. Instructions are addressed by their distance from
 * the end of the program ("at": 0 is the last instruction). */
typedef struct Builder {
        struct sock_filter *insns; /* BPF_MAXINSNS, filled from the back */
        size_t n;
        bool failed; /* too long, or (never expected) a jump out of reach */
        struct {
                uint32_t action;
                size_t at;
        } rets[RETS_MAX]; /* the RET nearest to what is emitted next, per action */
        size_t n_rets;
} Builder;

/* Where a jump should go: an instruction already emitted, or any RET of an action. */
typedef struct Target {
        bool leaf;
        uint32_t action; /* leaf */
        size_t at;       /* otherwise */
} Target;

#define LEAF(a) ((Target){ .leaf = true, .action = (a) })
#define NODE(i) ((Target){ .at = (i) })

static size_t emit(Builder *b, struct sock_filter insn) {
        if (b->n >= BPF_MAXINSNS) {
                b->failed = true;
                return b->n > 0 ? b->n - 1 : 0; /* something harmless; the result is thrown away */
        }
        b->insns[BPF_MAXINSNS - 1 - b->n] = insn;
        return b->n++;
}

static size_t emit_ret(Builder *b, uint32_t action) {
        size_t at = emit(b, (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, action));
        size_t i;

        for (i = 0; i < b->n_rets; i++)
                if (b->rets[i].action == action)
                        break;
        if (i == b->n_rets) {
                if (b->n_rets == RETS_MAX)
                        return at;
                b->n_rets++;
        }
        b->rets[i].action = action;
        b->rets[i].at = at;
        return at;
}

/* Makes t reachable by a conditional jump that will be emitted after at most slack more instructions,
 * and returns the instruction to jump to. */
static size_t reach(Builder *b, Target t, size_t slack) {
        size_t from = b->n + slack;

        if (t.leaf) {
                for (size_t i = 0; i < b->n_rets; i++)
                        if (b->rets[i].action == t.action && from - b->rets[i].at - 1 <= JUMP_MAX)
                                return b->rets[i].at;
                /* Out of reach (or none yet): a RET of its own costs one instruction, like a JA to the
                 * far one would, and saves the hop. */
                return emit_ret(b, t.action);
        }
        if (from - t.at - 1 <= JUMP_MAX)
                return t.at;
        return emit(b, (struct sock_filter) BPF_STMT(BPF_JMP | BPF_JA, (uint32_t) (b->n - t.at - 1)));
}

static size_t emit_jump(Builder *b, uint16_t code, uint32_t k, Target jt, Target jf) {
        /* jt first: resolving jf may still put one instruction in between. */
        size_t t = reach(b, jt, 1), f = reach(b, jf, 0), at = b->n;

        if (at - t - 1 > JUMP_MAX || at - f - 1 > JUMP_MAX)
                b->failed = true;
        return emit(b,
                    (struct sock_filter) BPF_JUMP(code, k, (uint8_t) (at - t - 1), (uint8_t) (at - f - 1)));
}

/* Ranges [lo[i], lo[i + 1]) of nr with answer act[i]; the last one ends at UINT32_MAX inclusive. */
typedef struct Ranges {
        uint32_t *lo;
        uint32_t *act;
        size_t n;
} Ranges;

static void ranges_push(Ranges *r, uint32_t lo, uint32_t act) {
        if (r->n > 0 && r->act[r->n - 1] == act)
                return; /* continues the previous range */
        r->lo[r->n] = lo;
        r->act[r->n] = act;
        r->n++;
}

static void ranges_done(Ranges *r) {
        free(r->lo);
        free(r->act);
}

static int ranges_make(const SeccompCompactArch *a, Ranges *ret) {
        _cleanup_(ranges_done) Ranges r = {};
        uint64_t next = 0; /* first number not covered yet; 2^32 when all are */

        /* Every rule adds at most itself and the gap before it, plus the gap after the last one. */
        r.lo = malloc((2 * a->n_rules + 1) * sizeof(uint32_t));
        r.act = malloc((2 * a->n_rules + 1) * sizeof(uint32_t));
        if (!r.lo || !r.act)
                return -ENOMEM;
        for (size_t i = 0; i < a->n_rules; i++) {
                if (i > 0 && a->rules[i].nr <= a->rules[i - 1].nr)
                        return -EINVAL;
                if (a->rules[i].nr > next)
                        ranges_push(&r, (uint32_t) next, a->default_action);
                ranges_push(&r, a->rules[i].nr, a->rules[i].action);
                next = (uint64_t) a->rules[i].nr + 1;
        }
        if (next <= UINT32_MAX)
                ranges_push(&r, (uint32_t) next, a->default_action);
        *ret = r;
        r = (Ranges){};
        return 0;
}

/* The binary search over ranges [i, j): A >= lo[mid] picks the upper half. JGE compares unsigned, as
 * the kernel reads seccomp_data.nr, so numbers with the top bit set are just large. */
static Target emit_tree(Builder *b, const Ranges *r, size_t i, size_t j) {
        size_t mid = i + (j - i) / 2;
        Target upper, lower;

        if (j - i == 1)
                return LEAF(r->act[i]);
        /* Backwards: the upper half ends up last, the lower half right behind the comparison. */
        upper = emit_tree(b, r, mid, j);
        lower = emit_tree(b, r, i, mid);
        return NODE(emit_jump(b, BPF_JMP | BPF_JGE | BPF_K, r->lo[mid], upper, lower));
}

int seccomp_compact_generate(const SeccompCompactArch *arches, size_t n_arches, uint32_t bad_arch_action,
                             SeccompProgram *ret) {
        _cleanup_free_ struct sock_filter *buf = NULL, *insns = NULL;
        _cleanup_free_ size_t *starts = NULL;
        Builder b = {};
        Target next;

        for (size_t i = 0; i < n_arches; i++)
                for (size_t j = 0; j < i; j++)
                        if (arches[i].token == arches[j].token)
                                return -EINVAL;

        starts = calloc(MAX(n_arches, (size_t) 1), sizeof(size_t));
        b.insns = buf = malloc(BPF_MAXINSNS * sizeof(struct sock_filter));
        if (!starts || !buf)
                return -ENOMEM;

        /* One block per arch, the last one first: load nr, then the search. */
        for (size_t i = n_arches; i-- > 0;) {
                _cleanup_(ranges_done) Ranges r = {};
                Target root;
                int k;

                k = ranges_make(&arches[i], &r);
                if (k < 0)
                        return k;
                root = emit_tree(&b, &r, 0, r.n);
                if (root.leaf)
                        emit_ret(&b, root.action); /* all numbers alike: the RET must follow the load */
                starts[i] = emit(&b, (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                                                   offsetof(struct seccomp_data, nr)));
        }

        /* The arch dispatch in front, in the given order (the native ABI first, it is the common one). */
        next = LEAF(bad_arch_action);
        for (size_t i = n_arches; i-- > 0;)
                next = NODE(
                        emit_jump(&b, BPF_JMP | BPF_JEQ | BPF_K, arches[i].token, NODE(starts[i]), next));
        if (next.leaf)
                emit_ret(&b, next.action);
        emit(&b,
             (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
        if (b.failed)
                return -E2BIG;

        insns = malloc(b.n * sizeof(struct sock_filter));
        if (!insns)
                return -ENOMEM;
        memcpy(insns, buf + BPF_MAXINSNS - b.n, b.n * sizeof(struct sock_filter));
        ret->n_insns = b.n;
        ret->insns = TAKE_PTR(insns);
        return 0;
}

/* Building the machine policy. libseccomp turns each rule into per-ABI numbers like this: the name is
 * resolved for the native ABI, the number translated to every other ABI through the native name, and
 * numbers an ABI lacks are skipped. On ABIs that multiplex socket and SysV IPC calls (socketcall() and
 * ipc() on i386), the name resolves to a pseudo number; libseccomp then adds a rule for the multiplexer
 * with an argument check (first argument == the call) and one for the direct call, if the ABI has one.
 * Rules for one number merge as in libseccomp: the first unconditional one wins; an unconditional one
 * replaces argument checks, an argument check after an unconditional rule changes nothing. */

/* Pseudo numbers (libseccomp's __PNR_*) of the multiplexed calls: -1xx socketcall(), -2xx ipc(). */
#define PSEUDO_SOCKET_FIRST (-199)
#define PSEUDO_SOCKET_LAST  (-100)
#define PSEUDO_IPC_FIRST    (-299)
#define PSEUDO_IPC_LAST     (-200)
/* Where the direct numbers of multiplexed calls are looked for. */
#define DIRECT_NR_MAX 1024

typedef struct Entry {
        uint32_t nr;
        uint32_t action;
        uint32_t seq; /* order of addition, which decides between rules for one number */
        bool cond;    /* an argument check on a multiplexer */
} Entry;

typedef struct Table {
        uint32_t token;
        Entry *entries;
        size_t n, allocated;
} Table;

typedef struct Demux {
        int pseudo;
        int direct;
} Demux;

typedef struct Abi {
        uint32_t arch; /* SCMP_ARCH_* */
        Table *table;
        int socketcall, ipc; /* the multiplexers, or negative */
        Demux *demux;        /* pseudo number → direct number, built when first needed */
        size_t n_demux;
        bool demux_done;
} Abi;

typedef struct Policy {
        uint32_t native;
        Abi abis[SECCOMP_MACHINE_ARCHES_MAX];
        size_t n_abis;
        Table tables[SECCOMP_MACHINE_ARCHES_MAX];
        size_t n_tables;
        uint32_t seq;
} Policy;

uint32_t seccomp_compact_arch_token(uint32_t arch) {
        /* x32 is told apart from x86-64 by the number (bit 30), not by seccomp_data.arch. */
        return arch == SCMP_ARCH_X32 ? AUDIT_ARCH_X86_64 : arch;
}

size_t seccomp_machine_arch_tokens(uint32_t ret[static SECCOMP_MACHINE_ARCHES_MAX]) {
        uint32_t arches[SECCOMP_MACHINE_ARCHES_MAX];
        size_t n_arches = seccomp_machine_arches(arches), n = 0;

        for (size_t i = 0; i < n_arches; i++) {
                uint32_t t = seccomp_compact_arch_token(arches[i]);
                bool seen = false;

                for (size_t j = 0; j < n; j++)
                        seen = seen || ret[j] == t;
                if (!seen)
                        ret[n++] = t;
        }
        return n;
}

static bool pseudo_socket(int nr) {
        return nr >= PSEUDO_SOCKET_FIRST && nr <= PSEUDO_SOCKET_LAST;
}

static bool pseudo_ipc(int nr) {
        return nr >= PSEUDO_IPC_FIRST && nr <= PSEUDO_IPC_LAST;
}

static int table_add(Policy *p, Table *t, int nr, uint32_t action, bool cond) {
        if (nr < 0)
                return 0;
        if (t->n >= t->allocated) {
                size_t m = MAX(t->allocated * 2, (size_t) 512);
                Entry *e = realloc(t->entries, m * sizeof(Entry));
                if (!e)
                        return -ENOMEM;
                t->entries = e;
                t->allocated = m;
        }
        t->entries[t->n++] = (Entry){ .nr = (uint32_t) nr, .action = action, .seq = p->seq++, .cond = cond };
        return 0;
}

/* The direct numbers of multiplexed calls: those whose name resolves back to a pseudo number. */
static int abi_demux_load(Abi *a) {
        a->demux_done = true;
        for (int nr = 0; nr < DIRECT_NR_MAX; nr++) {
                _cleanup_free_ char *name = seccomp_syscall_resolve_num_arch(a->arch, nr);
                Demux *d;
                int pseudo;

                if (!name)
                        continue;
                pseudo = seccomp_syscall_resolve_name_arch(a->arch, name);
                if (pseudo == nr || (!pseudo_socket(pseudo) && !pseudo_ipc(pseudo)))
                        continue;
                d = realloc(a->demux, (a->n_demux + 1) * sizeof(Demux));
                if (!d)
                        return -ENOMEM;
                a->demux = d;
                a->demux[a->n_demux++] = (Demux){ .pseudo = pseudo, .direct = nr };
        }
        return 0;
}

static int abi_add(Policy *p, Abi *a, int nr, uint32_t action) {
        int r;

        if (nr >= 0)
                return table_add(p, a->table, nr, action, false);
        if (!pseudo_socket(nr) && !pseudo_ipc(nr))
                return 0; /* not a call of this ABI */

        r = table_add(p, a->table, pseudo_socket(nr) ? a->socketcall : a->ipc, action, true);
        if (r < 0)
                return r;
        if (!a->demux_done) {
                r = abi_demux_load(a);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < a->n_demux; i++)
                if (a->demux[i].pseudo == nr)
                        return table_add(p, a->table, a->demux[i].direct, action, false);
        return 0;
}

static int policy_add(const char *name, uint32_t action, void *userdata) {
        Policy *p = userdata;
        int native_nr = seccomp_syscall_resolve_name(name);

        if (native_nr == __NR_SCMP_ERROR)
                return 0; /* as in seccomp_program_compile_machine() */

        for (size_t i = 0; i < p->n_abis; i++) {
                Abi *a = &p->abis[i];
                int nr = native_nr, r;

                if (a->arch != p->native) {
                        _cleanup_free_ char *native_name =
                                seccomp_syscall_resolve_num_arch(p->native, native_nr);
                        if (!native_name)
                                continue;
                        nr = seccomp_syscall_resolve_name_arch(a->arch, native_name);
                        if (nr == __NR_SCMP_ERROR)
                                continue;
                }
                r = abi_add(p, a, nr, action);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int entry_cmp(const void *x, const void *y) {
        const Entry *a = x, *b = y;

        if (a->nr != b->nr)
                return a->nr < b->nr ? -1 : 1;
        return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Sorts the table and merges the rules for each number into one answer; -EOPNOTSUPP if a number is left
 * with argument checks only. */
static int table_fold(Table *t, SeccompCompactRule **ret, size_t *ret_n) {
        SeccompCompactRule *rules;
        size_t n = 0;

        if (t->n > 0)
                qsort(t->entries, t->n, sizeof(Entry), entry_cmp);
        rules = malloc(MAX(t->n, (size_t) 1) * sizeof(SeccompCompactRule));
        if (!rules)
                return -ENOMEM;
        for (size_t i = 0; i < t->n;) {
                size_t j = i;
                bool uncond = false;
                uint32_t action = 0;

                for (; j < t->n && t->entries[j].nr == t->entries[i].nr; j++)
                        if (!uncond && !t->entries[j].cond) {
                                uncond = true;
                                action = t->entries[j].action;
                        }
                if (!uncond) {
                        free(rules);
                        return -EOPNOTSUPP;
                }
                rules[n++] = (SeccompCompactRule){ .nr = t->entries[i].nr, .action = action };
                i = j;
        }
        *ret = rules;
        *ret_n = n;
        return 0;
}

static void policy_done(Policy *p) {
        for (size_t i = 0; i < p->n_tables; i++)
                free(p->tables[i].entries);
        for (size_t i = 0; i < p->n_abis; i++)
                free(p->abis[i].demux);
}

int seccomp_compact_build(char **extra_allow, char **extra_deny, SeccompProgram *ret,
                          const char **ret_bad_name) {
        _cleanup_(policy_done) Policy p = {};
        uint32_t arches[SECCOMP_MACHINE_ARCHES_MAX];
        SeccompCompactArch compact[SECCOMP_MACHINE_ARCHES_MAX] = {};
        size_t n = seccomp_machine_arches(arches);
        int r;

        p.native = arches[0];
        for (size_t i = 0; i < n; i++) {
                uint32_t token = seccomp_compact_arch_token(arches[i]);
                Table *t = NULL;

                for (size_t j = 0; j < p.n_tables; j++)
                        if (p.tables[j].token == token)
                                t = &p.tables[j];
                if (!t) {
                        t = &p.tables[p.n_tables++];
                        t->token = token;
                }
                p.abis[p.n_abis++] = (Abi){
                        .arch = arches[i],
                        .table = t,
                        .socketcall = seccomp_syscall_resolve_name_arch(arches[i], "socketcall"),
                        .ipc = seccomp_syscall_resolve_name_arch(arches[i], "ipc"),
                };
        }

        r = seccomp_machine_rules_foreach(extra_allow, extra_deny, policy_add, &p, ret_bad_name);
        if (r < 0)
                return r;

        for (size_t i = 0; i < p.n_tables; i++) {
                SeccompCompactRule *rules = NULL;
                size_t n_rules = 0;

                r = table_fold(&p.tables[i], &rules, &n_rules);
                if (r < 0)
                        goto finish;
                compact[i] = (SeccompCompactArch){
                        .token = p.tables[i].token,
                        .default_action = SECCOMP_MACHINE_ACT_DEFAULT,
                        .rules = rules,
                        .n_rules = n_rules,
                };
        }
        r = seccomp_compact_generate(compact, p.n_tables, SECCOMP_MACHINE_ACT_BADARCH, ret);
finish:
        for (size_t i = 0; i < p.n_tables; i++)
                free((SeccompCompactRule *) compact[i].rules);
        return r;
}
