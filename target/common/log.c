#include "common/log.h"

pthread_mutex_t tlog_lock = PTHREAD_MUTEX_INITIALIZER;
