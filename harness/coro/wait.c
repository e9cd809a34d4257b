/* Coroutines parked on a word (coro.h's cb_coro_wait_word): a table of
 * waiters by the word's address, each record on its coroutine's stack,
 * and the wake-up handed to the waiter's scheduler, whichever thread
 * runs it. */
#include <pthread.h>

#include "coro/coro.h"

/* One parked coroutine, on its own stack while it waits. */
typedef struct word_waiter {
	_Atomic uint32_t *word;
	cb_sched *s;
	cb_coro *co;
	struct word_waiter *next;
} word_waiter;

#define WORD_BUCKETS 64
static struct {
	pthread_mutex_t mu;
	word_waiter *head;
} buckets[WORD_BUCKETS] = { [0 ... WORD_BUCKETS - 1] = { PTHREAD_MUTEX_INITIALIZER, NULL } };

static size_t bucket_of(const _Atomic uint32_t *word) { return ((uintptr_t)word >> 2) * 0x9E3779B97F4A7C15ULL >> 58; }

void cb_coro_wait_word(cb_sched *s, _Atomic uint32_t *word, uint32_t val)
{
	size_t b = bucket_of(word);
	pthread_mutex_lock(&buckets[b].mu);
	if (atomic_load(word) != val) {
		pthread_mutex_unlock(&buckets[b].mu);
		return;
	}
	word_waiter w = { word, s, s->current, buckets[b].head };
	buckets[b].head = &w;
	s->parked_words++;
	pthread_mutex_unlock(&buckets[b].mu);
	cb_sched_park(s);
}

void cb_coro_wake_word(cb_sched *self, _Atomic uint32_t *word)
{
	size_t b = bucket_of(word);
	word_waiter *mine = NULL;
	pthread_mutex_lock(&buckets[b].mu);
	for (word_waiter **pp = &buckets[b].head; *pp;) {
		word_waiter *w = *pp;
		if (w->word == word) {
			*pp = w->next;
			w->next = mine;
			mine = w;
		} else {
			pp = &w->next;
		}
	}
	pthread_mutex_unlock(&buckets[b].mu);
	while (mine) {
		/* A waiter's record lives on its stack: read it before the
		 * coroutine can run again. */
		word_waiter *next = mine->next;
		cb_sched *s = mine->s;
		cb_coro *co = mine->co;
		if (s == self) {
			s->parked_words--;
			cb_sched_wake(s, co);
		} else {
			cb_sched_remote_wake(s, co);
		}
		mine = next;
	}
}

cb_sched *cb_coro_sched_of(const cb_io *io)
{
	return io && (io->ops == cb_loop_uring.io || io->ops == cb_loop_epoll.io) ? io->ctx : NULL;
}
