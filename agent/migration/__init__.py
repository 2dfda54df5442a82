"""Migration planning: from synchronous side effects, shared databases and cron jobs to durable events, in
phases that can each be verified and rolled back."""
