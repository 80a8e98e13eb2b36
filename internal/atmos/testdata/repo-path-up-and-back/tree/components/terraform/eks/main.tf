# eks
