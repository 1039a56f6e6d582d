/*
 * check.h: the smallest test harness that reads well.
 *
 * A test file defines cases with TEST(name) { ... } and includes this header
 * once; the cases register themselves and main() runs them all (or only those
 * whose name contains argv[1]). A failed CHECK prints file:line, the expression
 * and both values, marks the case failed and returns from it. The program exits
 * non-zero if any case failed and prints "N passed, N failed" last.
 */
#ifndef SYNACK_TESTS_CHECK_H
#define SYNACK_TESTS_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct check_case {
	const char *name;
	void (*fn)(void);
};

#define CHECK_MAX_CASES 512
static struct check_case check_cases[CHECK_MAX_CASES];
static int check_ncases;
static int check_failed_now;

static inline void check_register(const char *name, void (*fn)(void))
{
	if (check_ncases < CHECK_MAX_CASES)
		check_cases[check_ncases++] = (struct check_case){name, fn};
}

#define TEST(name)                                                              \
	static void test_##name(void);                                          \
	__attribute__((constructor)) static void register_##name(void)          \
	{                                                                       \
		check_register(#name, test_##name);                             \
	}                                                                       \
	static void test_##name(void)

#define CHECK(cond)                                                             \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__,  \
				__LINE__, #cond);                               \
			check_failed_now = 1;                                   \
			return;                                                 \
		}                                                               \
	} while (0)

#define CHECK_EQ(a, b)                                                          \
	do {                                                                    \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b); \
		if (check_a_ != check_b_) {                                     \
			fprintf(stderr, "%s:%d: CHECK_EQ(%s, %s) failed: %lld != %lld\n", \
				__FILE__, __LINE__, #a, #b, check_a_, check_b_); \
			check_failed_now = 1;                                   \
			return;                                                 \
		}                                                               \
	} while (0)

#define CHECK_STR(a, b)                                                         \
	do {                                                                    \
		const char *check_a_ = (a), *check_b_ = (b);                    \
		if (strcmp(check_a_, check_b_) != 0) {                          \
			fprintf(stderr, "%s:%d: CHECK_STR(%s, %s) failed: \"%s\" != \"%s\"\n", \
				__FILE__, __LINE__, #a, #b, check_a_, check_b_); \
			check_failed_now = 1;                                   \
			return;                                                 \
		}                                                               \
	} while (0)

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;
	for (int i = 0; i < check_ncases; i++) {
		if (argc > 1 && !strstr(check_cases[i].name, argv[1]))
			continue;
		check_failed_now = 0;
		check_cases[i].fn();
		if (check_failed_now) {
			failed++;
			fprintf(stderr, "FAIL %s\n", check_cases[i].name);
		} else {
			passed++;
			printf("ok   %s\n", check_cases[i].name);
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

#endif
