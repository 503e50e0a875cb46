#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "device-policy.h"
#include "fd-util.h"

#define INSN(c, d, s, o, i) \
        ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(d, s, o)     INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define MOV_X(d, s)        INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV_K(d, i)        INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define AND_K(d, i)        INSN(BPF_ALU64 | BPF_AND | BPF_K, d, 0, 0, i)
#define JMP_K(op, d, i, o) INSN(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define JA(o)              INSN(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define EXIT()             INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Jump offsets count from the next instruction; the labels are the indices in the comments. */
static const struct bpf_insn device_program[] = {
        LDX_W(2, 1, 0),                            /*  0: r2 = access_type (access << 16 | type) */
        MOV_X(3, 2),                               /*  1: */
        AND_K(3, 0xffff),                          /*  2: r3 = type */
        LDX_W(4, 1, 4),                            /*  3: r4 = major */
        LDX_W(5, 1, 8),                            /*  4: r5 = minor */
        JMP_K(BPF_JNE, 3, BPF_DEVCG_DEV_CHAR, 17), /*  5: block devices: deny (23) */
        JMP_K(BPF_JEQ, 4, 1, 4),                   /*  6: major 1: memory devices (11) */
        JMP_K(BPF_JEQ, 4, 5, 9),                   /*  7: major 5: tty, console, ptmx (17) */
        JMP_K(BPF_JLT, 4, 136, 14),                /*  8: below the pty slaves: deny (23) */
        JMP_K(BPF_JGT, 4, 143, 13),                /*  9: above them: deny (23) */
        JA(10),                                    /* 10: a pty slave: allow (21) */
        JMP_K(BPF_JEQ, 5, 3, 9),                   /* 11: null → allow (21) */
        JMP_K(BPF_JEQ, 5, 5, 8),                   /* 12: zero */
        JMP_K(BPF_JEQ, 5, 7, 7),                   /* 13: full */
        JMP_K(BPF_JEQ, 5, 8, 6),                   /* 14: random */
        JMP_K(BPF_JEQ, 5, 9, 5),                   /* 15: urandom */
        JA(6),                                     /* 16: deny (23) */
        JMP_K(BPF_JEQ, 5, 0, 3),                   /* 17: tty → allow (21) */
        JMP_K(BPF_JEQ, 5, 1, 2),                   /* 18: console */
        JMP_K(BPF_JEQ, 5, 2, 1),                   /* 19: ptmx */
        JA(2),                                     /* 20: deny (23) */
        MOV_K(0, 1),                               /* 21: allow */
        EXIT(),                                    /* 22: */
        MOV_K(0, 0),                               /* 23: deny */
        EXIT(),                                    /* 24: */
};

int device_policy_attach(int cgroup_fd) {
        _cleanup_close_ int prog = -EBADF;
        union bpf_attr load, attach;

        memset(&load, 0, sizeof(load));
        load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        load.insns = (uint64_t) (uintptr_t) device_program;
        load.insn_cnt = ELEMENTSOF(device_program);
        load.license = (uint64_t) (uintptr_t) "GPL";
        prog = (int) syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load));
        if (prog < 0)
                return negative_errno();

        /* ALLOW_MULTI: a manager inside (systemd) may add its own device programs below ours; the kernel
         * then requires every one of them to allow an access. */
        memset(&attach, 0, sizeof(attach));
        attach.target_fd = (uint32_t) cgroup_fd;
        attach.attach_bpf_fd = (uint32_t) prog;
        attach.attach_type = BPF_CGROUP_DEVICE;
        attach.attach_flags = BPF_F_ALLOW_MULTI;
        if (syscall(SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof(attach)) < 0)
                return negative_errno();
        return 0;
}
