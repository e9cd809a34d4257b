#include "micro.h"
void cb_micro_register_timers(void) {}
