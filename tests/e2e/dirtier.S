/* dirtier.S: the e2e guest. A 32-bit multiboot (v1) kernel for
 * `qemu-system-x86_64 -kernel`, so the suite needs no disk image.
 *
 * It announces itself on COM1, then increments one byte in every 4 KiB page of
 * [DIRTY_BASE, DIRTY_BASE + REGION_MB MiB) in an endless loop. Under TCG one sweep of a
 * 64 MiB region takes about a millisecond, so every page is dirty again long before a
 * migration throttled to 64 MiB/s can resend it: with downtime-limit 300 ms the migration
 * never converges, while a 4 MiB region (the control) converges on its own.
 *
 * REGION_MB is chosen at assembly time:  as --32 --defsym REGION_MB=64
 * Link at the multiboot load address:    ld -m elf_i386 -Ttext=0x100000
 * QEMU's multiboot loader takes 32-bit ELF images only, hence --32 / elf_i386.
 */
        .ifndef REGION_MB
        .error "assemble with --defsym REGION_MB=<MiB>"
        .endif

        .set MB_MAGIC,      0x1BADB002
        .set MB_FLAGS,      0                   /* load by ELF program headers */
        .set DIRTY_BASE,    0x01000000          /* 16 MiB: above the kernel and the stack */
        .set DIRTY_LIMIT,   DIRTY_BASE + REGION_MB * 0x100000
        .set PAGE,          4096
        .set SWEEPS_AT,     DIRTY_BASE - 4      /* sweep counter, readable with HMP xp */
        .set UART,          0x3f8               /* COM1 data register */
        .set UART_LSR,      UART + 5            /* line status: bit 5 = ready to send */

        .section .text
        .code32
        .globl  _start

        /* The loader scans the first 8 KiB for this header, 4-byte aligned. */
        .p2align 2
multiboot_header:
        .long   MB_MAGIC
        .long   MB_FLAGS
        .long   -(MB_MAGIC + MB_FLAGS)

_start:
        cli
        movl    $0x00180000, %esp               /* 1.5 MiB, below DIRTY_BASE */
        movl    $msg_up, %esi
        call    puts
        movl    $REGION_MB, %eax
        call    putdec
        movl    $msg_mib, %esi
        call    puts

        xorl    %ebx, %ebx                      /* sweeps done */
sweep:
        movl    $DIRTY_BASE, %edi
touch:
        addb    $1, (%edi)
        addl    $PAGE, %edi
        cmpl    $DIRTY_LIMIT, %edi
        jb      touch

        incl    %ebx
        movl    %ebx, SWEEPS_AT
        testl   $0x3ff, %ebx                    /* a heartbeat every 1024 sweeps */
        jnz     sweep
        movb    $'*', %al
        call    putc
        jmp     sweep

/* putc: send %al on COM1 once the transmitter is ready. Clobbers %edx. */
putc:
        pushl   %eax
        movw    $UART_LSR, %dx
1:      inb     %dx, %al
        testb   $0x20, %al
        jz      1b
        popl    %eax
        movw    $UART, %dx
        outb    %al, %dx
        ret

/* puts: send the NUL-terminated string at %esi. Clobbers %eax, %edx, %esi. */
puts:
        lodsb
        testb   %al, %al
        jz      2f
        call    putc
        jmp     puts
2:      ret

/* putdec: send %eax in decimal. Clobbers %eax, %ecx, %edx. */
putdec:
        movl    $10, %ecx
        xorl    %edx, %edx
        divl    %ecx                            /* %eax = quotient, %edx = last digit */
        pushl   %edx
        testl   %eax, %eax
        jz      3f
        call    putdec                          /* higher digits first */
3:      popl    %eax
        addb    $'0', %al
        call    putc
        ret

        .section .rodata
msg_up:  .asciz  "dirtier: up, dirtying "
msg_mib: .asciz  " MiB\n"
