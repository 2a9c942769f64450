// Placeholder: the platform helper replaces this with the test action.
return 0;
